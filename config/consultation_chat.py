"""What residents and officers read while taking part in, or creating, a consultation on a draft.

Placeholders: {title} the draft's title, {issuer} the issuing unit, {closes}/{opens} local
date-times, {label}/{title} a section's heading, {stance} a position's name.
"""

# Characters of a section's text per message, by channel (Telegram allows 4,096, Zalo 2,000;
# the heading (up to 150), the position given with its comment cut to 200 (about 300 in all),
# the /gopy hint, the question and, without buttons, the numbered choices (about 90) need
# room too: about 650 in all).
PAGE_CHARS: dict[str, int] = {"telegram": 3500}
PAGE_CHARS_DEFAULT = 1300
# The short summary shown before "Đọc toàn văn".
SUMMARY_CHARS = 300
# Sections per page of the section list (buttons are one per row).
MENU_PAGE_SIZE = 8
# A button's label is cut to this many characters.
BUTTON_CHARS = 60
# The longest comment on one section.
COMMENT_MAX_CHARS = 3000

# --- residents --------------------------------------------------------------------------------

NONE_OPEN = "Hiện chưa có dự thảo nào đang lấy ý kiến. Cảm ơn bạn đã quan tâm!"
LIST = "Các dự thảo đang lấy ý kiến (chọn một để xem và góp ý):"
LIST_ITEM = "{title} (đến {closes})"
CONSENT_FIRST = (
    "Để góp ý vào dự thảo, bạn cần đồng ý với thông báo về dữ liệu cá nhân trước. "
    "Sau đó gõ /duthao để chọn dự thảo."
)
NOT_FOUND = "Không tìm thấy dự thảo số {id}. Gõ /duthao để xem các dự thảo đang lấy ý kiến."
NOT_OPEN_YET = "Dự thảo «{title}» sẽ bắt đầu nhận ý kiến lúc {opens}. Mời bạn quay lại sau."
CLOSED = (
    "Đợt lấy ý kiến về «{title}» đã kết thúc lúc {closes}; ý kiến mới hoặc thay đổi không còn "
    "được nhận. Cảm ơn bạn đã quan tâm! Gõ /duthao để xem các dự thảo khác."
)
ASK_GROUP = "Bạn góp ý với tư cách thuộc đối tượng nào?"
ASK_GROUP_AUDIENCE = "Đợt lấy ý kiến này dành cho các đối tượng sau. Bạn thuộc đối tượng nào?"
BUTTON_NOT_IN_AUDIENCE = "Tôi không thuộc các đối tượng này"
NOT_IN_AUDIENCE = (
    "Đợt lấy ý kiến về «{title}» dành cho: {audience}. Cảm ơn bạn đã quan tâm! Bạn vẫn có thể "
    "gửi ý kiến, kiến nghị khác bất cứ lúc nào."
)
ASK_UNIT = "Bạn góp ý qua tổ chức, đơn vị nào?"
MENU = (
    "📄 {title}\nĐơn vị lấy ý kiến: {issuer}\nNhận ý kiến đến {closes}.\n"
    "Chọn phần để đọc và cho ý kiến (✓ là phần bạn đã cho ý kiến, {given}/{total}):"
)
MENU_WHOLE = "Góp ý chung cho toàn văn dự thảo"
BUTTON_PREVIOUS = "« Trước"
BUTTON_NEXT = "Sau »"
BUTTON_DONE = "Xong"
BUTTON_BACK_TO_LIST = "« Danh sách phần"
BUTTON_READ_ALL = "Đọc toàn văn"
BUTTON_READ_ON = "Đọc tiếp »"
MARK_GIVEN = "✓ "
SECTION = "{label}{title}\n\n{text}"
SECTION_PAGE = "\n\n(Trang {page}/{pages})"
SECTION_WHOLE = "Cho ý kiến chung về toàn văn dự thảo «{title}»."
SECTION_EMPTY = "(Phần này chỉ có tiêu đề.)"
CURRENT = "\n\nÝ kiến hiện tại của bạn: {stance}{comment}. Bạn có thể thay đổi đến {closes}."
CURRENT_COMMENT = " — «{text}»"
CURRENT_COMMENT_CHARS = 200  # a comment quoted under its section is shortened to this
ASK_STANCE = "\n\nÝ kiến của bạn về phần này:"
# Under each section: the one-message form for this section (its number is its position).
QUICK_HINT = "\n\n(Góp ý nhanh cho phần này: /gopy {id} {position} 1|2|3 [nội dung])"
ASK_COMMENT = (
    "Bạn chọn: {stance}. Nếu muốn, gõ ý kiến cụ thể của bạn về «{label}» "
    "(tối đa {limit} ký tự), hoặc bấm «Gửi không kèm ý kiến»."
)
BUTTON_NO_COMMENT = "Gửi không kèm ý kiến"
BUTTON_KEEP_COMMENT = "Giữ ý kiến cụ thể đã gửi"
BUTTON_BACK = "« Quay lại"
COMMENT_TOO_LONG = (
    "Ý kiến dài {length} ký tự, vượt giới hạn {limit} ký tự. Bạn vui lòng rút gọn rồi gửi lại."
)
TEXT_ONLY = "Phần góp ý dự thảo chỉ nhận chữ. Bạn vui lòng gõ ý kiến hoặc chọn một mục."
SAVED = (
    "Đã ghi nhận ý kiến của bạn về «{label}»: {stance}{comment}. Bạn có thể thay đổi đến {closes}."
)
CHANGED = (
    "Đã cập nhật ý kiến của bạn về «{label}»: {stance}{comment}. Bạn có thể thay đổi đến {closes}."
)
WITH_COMMENT = ", kèm ý kiến cụ thể"
DONE = (
    "Cảm ơn bạn đã góp ý vào «{title}»: bạn đã cho ý kiến về {given} phần. "
    "Bạn có thể quay lại thay đổi đến {closes} (gõ /duthao)."
)
DONE_NOTHING = "Bạn chưa cho ý kiến phần nào. Khi cần, gõ /duthao để quay lại."

# /gopy ID PHẦN Ý_KIẾN [nội dung]: the whole comment in one message (channels without buttons).
QUICK_USAGE = (
    "Cách dùng: /gopy SỐ_DỰ_THẢO SỐ_PHẦN Ý_KIẾN [nội dung], trong đó SỐ_PHẦN là số phần ghi "
    "dưới mỗi phần khi xem (0 là góp ý chung) và Ý_KIẾN là 1 (tán thành), 2 (không tán thành) "
    "hoặc 3 (tán thành một phần). Ví dụ: /gopy 3 5 3 Đề nghị bổ sung giải pháp về nhà ở xã hội."
)
QUICK_NO_SECTION = "Dự thảo «{title}» không có phần số {position}. Gõ /duthao {id} để xem."
# Words a resident may type for each position (compared without diacritics and case).
STANCE_WORDS: dict[str, tuple[str, ...]] = {
    "tan_thanh": ("1", "tan thanh", "tanthanh", "dong y", "tt"),
    "khong_tan_thanh": ("2", "khong tan thanh", "khongtanthanh", "khong dong y", "khong", "ktt"),
    "tan_thanh_mot_phan": ("3", "tan thanh mot phan", "mot phan", "motphan", "ttmp"),
}

# /dangky, /huydangky: consent to announcements of consultations, stored with its version.
NOTICE_VERSION = "tb-2026-11"
SUBSCRIBED = (
    "Bạn đã đăng ký nhận thông báo khi có dự thảo văn kiện mới được lấy ý kiến ({place}). "
    "Chúng tôi chỉ dùng tài khoản chat của bạn để gửi các thông báo này (phiên bản thông báo "
    "{version}). Gõ /huydangky để hủy bất cứ lúc nào."
)
# {place} of SUBSCRIBED, ALREADY_SUBSCRIBED and PLACE_CHANGED.
PLACE_EVERYWHERE = "mọi nơi; gõ /dangky kèm tên xã/phường của bạn để chỉ nhận thông báo ở đó"
PLACE_AT = "các đợt lấy ý kiến dành cho {label}"
ALREADY_SUBSCRIBED = "Bạn đã đăng ký nhận thông báo trước đó ({place}). Gõ /huydangky để hủy."
PLACE_CHANGED = "Đã đổi nơi nhận thông báo: {place}. Gõ /huydangky để hủy."
PLACE_CHOOSE = (
    "Bạn muốn nhận thông báo ở nơi nào? Chọn trong danh sách, hoặc gõ lại /dangky kèm tên:"
)
PLACE_NOT_FOUND = (
    "Không tìm thấy xã/phường «{query}» trong danh mục đơn vị hành chính hiện hành, nên chưa "
    "đăng ký. Bạn gõ lại, ví dụ: /dangky phường Bến Thành, Hồ Chí Minh — hoặc /dangky để nhận "
    "thông báo ở mọi nơi."
)
BUTTON_EVERYWHERE = "Mọi nơi"
UNSUBSCRIBED = "Bạn đã hủy nhận thông báo về dự thảo. Gõ /dangky nếu muốn nhận lại."
NOT_SUBSCRIBED = "Bạn chưa đăng ký nhận thông báo. Gõ /dangky để đăng ký."
# Says who asks and for whom, so a resident outside the audience sees at once it is not for them.
ANNOUNCEMENT = (
    "📣 {title}\n\n{announcement}\n\nĐơn vị lấy ý kiến: {issuer}.\nĐối tượng: {audience}.\n"
    "Nhận ý kiến đến {closes}. Gõ /duthao {id} để góp ý."
)
BUTTON_ANNOUNCEMENT = "Góp ý ngay"
MY_DATA_COMMENTS = "Ý kiến góp ý dự thảo của bạn: {count}."
MY_DATA_COMMENT = "• Dự thảo số {id}, {label}: {stance}{comment}"
MY_DATA_SUBSCRIBED = (
    "Bạn đang nhận thông báo về dự thảo ({place}; đăng ký theo phiên bản {version})."
)

# --- officers: /taoduthao -------------------------------------------------------------------

CREATE_FORM = (
    "Tạo đợt lấy ý kiến vào dự thảo: gửi /taoduthao kèm các dòng sau (mỗi dòng một mục), "
    "ví dụ:\n"
    "/taoduthao\n"
    "Tiêu đề: Dự thảo Báo cáo chính trị Đại hội Đảng bộ phường nhiệm kỳ 2025–2030\n"
    "Mở: 01/12/2026 08:00\n"
    "Đóng: 20/12/2026 17:00\n"
    "Báo cáo: 22/12/2026\n"
    "Đối tượng: nông dân, công nhân (bỏ trống: mọi người)\n"
    "Đơn vị: mã đơn vị, cách nhau bởi dấu phẩy (bỏ trống: mọi đơn vị)\n"
    "Thông báo: nội dung gửi người đã /dangky (bỏ trống: không gửi)\n"
    "Sau đó gửi tệp dự thảo (Word .docx, PDF có lớp chữ hoặc .txt) hoặc dán toàn văn dự thảo. "
    "Trên kênh chưa gửi được tệp (Zalo Bot), dán toàn văn hoặc dùng lệnh "
    "`ykien consultation create` trên máy chủ."
)
FORM_FIELDS: dict[str, str] = {
    "tieu de": "title",
    "mo": "opens",
    "dong": "closes",
    "bao cao": "report_due",
    "doi tuong": "groups",
    "don vi": "units",
    "thong bao": "announcement",
}
# The form's required lines, by field, as the officer writes them.
FORM_REQUIRED: dict[str, str] = {"title": "Tiêu đề", "closes": "Đóng"}
FORM_MISSING = "Thiếu mục «{field}». " + "Xem mẫu: gõ /taoduthao."
FORM_BAD_LINE = "Không hiểu dòng «{line}» (cần dạng «Mục: nội dung»)."
FORM_UNKNOWN_FIELD = (
    "Không có mục «{field}». Các mục: Tiêu đề, Mở, Đóng, Báo cáo, Đối tượng, Đơn vị, Thông báo."
)
FORM_BAD_DATETIME = "«{value}» không phải ngày giờ dạng dd/mm/yyyy hh:mm (ví dụ 20/12/2026 17:00)."
FORM_BAD_DATE = "«{value}» không phải ngày dạng dd/mm/yyyy."
FORM_CLOSES_BEFORE_OPENS = "Thời điểm đóng phải sau thời điểm mở."
FORM_CLOSES_PAST = "Thời điểm đóng ({closes}) đã qua."
FORM_REPORT_BEFORE_CLOSE = "Hạn báo cáo ({due}) phải từ ngày đóng lấy ý kiến trở đi."
FORM_UNKNOWN_GROUP = "Không có đối tượng «{group}». Các đối tượng: {groups}."
FORM_UNKNOWN_UNIT = "Không có đơn vị mã «{unit}»."
FORM_TITLE_TOO_LONG = "Tiêu đề dài quá {limit} ký tự."
FORM_NO_UNIT = (
    "Tài khoản của bạn chưa gắn với đơn vị nào, nên chưa thể đứng tên đơn vị lấy ý kiến. "
    "Quản trị viên có thể tạo bằng lệnh `ykien consultation create` trên máy chủ."
)
ASK_DRAFT = (
    "Đã nhận thông tin đợt lấy ý kiến «{title}». Bây giờ hãy dán toàn văn dự thảo (có thể gửi "
    "thành nhiều tin nhắn), rồi bấm «Xong»."
)
# Where the channel delivers documents (handlers.ports.DraftFiles accepts it): a file too.
ASK_DRAFT_FILE = (
    "Đã nhận thông tin đợt lấy ý kiến «{title}». Bây giờ hãy gửi tệp dự thảo (Word .docx, PDF "
    "có lớp chữ hoặc .txt), hoặc dán toàn văn dự thảo (có thể gửi thành nhiều tin nhắn) rồi "
    "bấm «Xong»."
)
DRAFT_APPENDED = "Đã nhận {chars} ký tự. Gửi tiếp, hoặc bấm «Xong» khi hết."
DRAFT_NOTHING = "Chưa nhận được nội dung dự thảo. Bạn vui lòng dán toàn văn dự thảo."
DRAFT_NOTHING_FILE = (
    "Chưa nhận được nội dung dự thảo. Bạn vui lòng gửi tệp dự thảo hoặc dán toàn văn dự thảo."
)
DRAFT_FILE_UNAVAILABLE = (
    "Trên kênh này bot chưa nhận được tệp dự thảo. Bạn vui lòng dán toàn văn dự thảo, hoặc dùng "
    "lệnh `ykien consultation create` trên máy chủ."
)
# Before PREVIEW when the draft came as a file.
PREVIEW_FILE = "Đã đọc tệp “{name}”. "
PREVIEW = (
    "Dự thảo «{title}» được tách thành {count} phần:\n{sections}\n\n"
    "Mở {opens}, đóng {closes}{report}. Đối tượng: {audience}.\nTạo đợt lấy ý kiến?"
)
PREVIEW_REPORT = ", hạn báo cáo {due}"
PREVIEW_MORE = "… và {count} phần nữa"
BUTTON_CREATE = "Tạo đợt lấy ý kiến"
CREATED = (
    "Đã tạo đợt lấy ý kiến số {id}: «{title}». Người dân gõ /duthao {id} để góp ý. "
    "Báo cáo tổng hợp: `ykien consultation report {id} --out THƯ_MỤC`."
)
CREATED_DEADLINE = " Hạn báo cáo {due} đã được thêm vào lịch nhắc của đơn vị."
EVERYONE = "mọi người"
DEADLINE_TITLE = "Báo cáo tổng hợp ý kiến góp ý vào {title}"
LEFT = (
    "Đã thoát khỏi phần góp ý dự thảo. Các ý kiến bạn đã cho vẫn được giữ và có thể thay đổi "
    "đến khi hết hạn (gõ /duthao)."
)

# --- officers: the synthesis on the close (bot.consultation_reports) -----------------------------

SYNTHESIS_READY = (
    "📑 Đợt lấy ý kiến số {id} «{title}» đã kết thúc lúc {closes} với {count} ý kiến. "
    "Gửi kèm: báo cáo tổng hợp (Word) theo từng phần và danh sách mọi ý kiến (Excel).{due}"
)
SYNTHESIS_DUE = " Hạn gửi báo cáo: {due} (gõ /xong khi đã gửi)."
