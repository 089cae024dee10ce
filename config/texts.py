"""Every Vietnamese string a resident sees; handlers format these, tests compare against them.

Placeholders use `str.format` names. Keep them short: residents read them on a phone.
"""

PRIVACY_NOTICE_VERSION = "2026-11"

WELCOME = (
    "Xin chào! Đây là kênh tiếp nhận ý kiến, kiến nghị của Nhân dân gửi Ủy ban Mặt trận "
    "Tổ quốc Việt Nam và các tổ chức thành viên."
)

PRIVACY_NOTICE = (
    "Trước khi bắt đầu, xin bạn đọc thông báo về dữ liệu cá nhân (phiên bản {version}):\n"
    "• Chúng tôi lưu: nội dung bạn gửi, ảnh và vị trí (nếu có), xã/phường, nhóm đối tượng "
    "bạn tự chọn, và mã định danh tài khoản trên kênh nhắn tin này.\n"
    "• Mục đích: chuyển ý kiến đến cơ quan có thẩm quyền xem xét, trả lời bạn và tổng hợp "
    "báo cáo theo lĩnh vực.\n"
    "• Người được xem: cán bộ Mặt trận, tổ chức thành viên có thẩm quyền và người kiểm duyệt. "
    "Số điện thoại, số giấy tờ và địa chỉ được che trong mọi báo cáo; danh tính người tố cáo "
    "được giữ bí mật.\n"
    "• Quyền của bạn: gửi /dulieucuatoi để xem mọi dữ liệu về bạn, /xoadulieu để xóa.\n"
    "Bạn có đồng ý không? Nếu không đồng ý, chúng tôi không lưu gì về bạn."
)
BUTTON_CONSENT_YES = "Đồng ý"
BUTTON_CONSENT_NO = "Không đồng ý"
CONSENT_DECLINED = (
    "Chúng tôi tôn trọng lựa chọn của bạn và không lưu thông tin nào. "
    "Khi muốn gửi ý kiến, hãy nhắn /start."
)
CONSENT_REQUIRED = "Bạn cần đồng ý với thông báo về dữ liệu cá nhân trước khi gửi ý kiến."

CHOOSE_KIND = "Bạn muốn gửi loại ý kiến nào?"
CHOOSE_KIND_FOR_TEXT = "Đã ghi nhận nội dung. Ý kiến của bạn thuộc loại nào?"
WELCOME_BACK = "Chào bạn quay lại!"
KIND_PROCEDURE = {
    "khieu_nai": (
        "Lưu ý: khiếu nại được giải quyết theo Luật Khiếu nại 2011. Thời hạn giải quyết lần "
        "đầu là 30 ngày kể từ ngày thụ lý (vụ việc phức tạp: 45 ngày; vùng sâu, vùng xa có thể "
        "kéo dài hơn). Mặt trận tiếp nhận và chuyển đến cơ quan có thẩm quyền, đồng thời theo "
        "dõi việc giải quyết."
    ),
    "to_cao": (
        "Lưu ý: tố cáo được giải quyết theo Luật Tố cáo 2018. Thời hạn giải quyết là 30 ngày "
        "kể từ ngày thụ lý (phức tạp: có thể gia hạn thêm). Danh tính người tố cáo được giữ bí "
        "mật; chỉ cán bộ được giao nhiệm vụ mới xem được nội dung."
    ),
}
ASK_TEXT = (
    "Mời bạn nhập nội dung ({kind}). Hãy nêu rõ sự việc, địa điểm và thời gian "
    "(tối đa {limit} ký tự)."
)
TEXT_TOO_LONG = (
    "Nội dung dài {length} ký tự, vượt giới hạn {limit} ký tự. Bạn vui lòng rút gọn, "
    "hoặc chia thành nhiều ý kiến riêng."
)
TEXT_EMPTY = "Nội dung trống. Mời bạn nhập nội dung ý kiến bằng chữ."
ASK_ATTACHMENTS = (
    "Đã ghi nhận nội dung. Bạn có thể gửi kèm ảnh và/hoặc vị trí (nếu có), sau đó chọn «Tiếp tục»."
)
ATTACHMENT_PHOTO_ADDED = "Đã nhận ảnh ({count}/{limit})."
ATTACHMENT_LOCATION_ADDED = "Đã nhận vị trí."
ATTACHMENT_LIMIT = "Bạn đã gửi đủ {limit} ảnh. Mời chọn «Tiếp tục»."
CONTENT_APPENDED = "Đã bổ sung vào nội dung. Bạn có thể gửi thêm ảnh, vị trí, hoặc chọn «Tiếp tục»."
ATTACHMENT_HINT = "Ở bước này, bạn gửi ảnh hoặc vị trí, hoặc chọn «Tiếp tục»."
BUTTON_CONTINUE = "Tiếp tục"
BUTTON_SKIP = "Bỏ qua"

ASK_LOCALITY = (
    "Ý kiến của bạn liên quan đến xã/phường nào? Nhập tên xã/phường và tỉnh/thành phố "
    "(có dấu hoặc không dấu đều được), ví dụ: «phường Bến Thành, TP Hồ Chí Minh». "
    "Hoặc chọn «Bỏ qua»."
)
LOCALITY_CHOOSE = "Bạn chọn đúng địa bàn trong danh sách, hoặc nhập lại:"
LOCALITY_NOT_FOUND = (
    "Không tìm thấy xã/phường «{query}» trong danh mục đơn vị hành chính hiện hành. "
    "Bạn nhập lại (kèm tỉnh/thành phố), hoặc chọn «Bỏ qua»."
)
LOCALITY_SET = "Địa bàn: {label}."

ASK_GROUP = "Bạn thuộc nhóm đối tượng nào? (không bắt buộc)"

SUMMARY = (
    "Xin bạn kiểm tra lại trước khi gửi:\n"
    "• Loại: {kind}\n"
    "• Nội dung: {text}\n"
    "• Đính kèm: {attachments}\n"
    "• Địa bàn: {locality}\n"
    "• Nhóm đối tượng: {group}"
)
SUMMARY_NONE = "không có"
SUMMARY_SKIPPED = "không nêu"
SUMMARY_ATTACHMENTS = "{photos} ảnh{location}"
SUMMARY_WITH_LOCATION = ", có vị trí"
SUMMARY_ONLY_LOCATION = "vị trí"
SUMMARY_TEXT_PREVIEW_CHARS = 600
BUTTON_SUBMIT = "Gửi ý kiến"
BUTTON_EDIT_TEXT = "Sửa nội dung"
BUTTON_EDIT_KIND = "Sửa loại"
BUTTON_EDIT_LOCALITY = "Sửa địa bàn"
BUTTON_EDIT_GROUP = "Sửa nhóm"
BUTTON_CANCEL = "Hủy"

RECEIPT = (
    "Cảm ơn bạn! Ý kiến đã được tiếp nhận với mã {code}, "
    "xếp vào lĩnh vực: {topic}.\nTra cứu tình trạng: /trangthai {code}"
)
# Shown first when a submission describes an emergency in progress.
EMERGENCY_ADVICE = (
    "⚠️ Nếu đang có nguy hiểm, hãy gọi ngay: 113 (Công an), 114 (Cứu hỏa, cứu nạn), "
    "115 (Cấp cứu). Ý kiến gửi qua đây không thay thế cuộc gọi khẩn cấp."
)

STATUS_USAGE = "Cách dùng: /trangthai MÃ (ví dụ /trangthai YK-7F3Q9X)."
STATUS_NOT_FOUND = "Không tìm thấy ý kiến mã {code} trong các ý kiến bạn đã gửi."
STATUS = "Ý kiến {code} ({kind}), gửi lúc {created}: {status}."

CANCELLED = "Đã hủy. Không có gì được gửi. Khi cần, nhắn bất kỳ để bắt đầu lại."
NOTHING_TO_CANCEL = "Hiện bạn không có ý kiến nào đang soạn."

HELP = (
    "Hướng dẫn:\n"
    "• Nhắn bất kỳ để bắt đầu gửi ý kiến, rồi làm theo từng bước.\n"
    "• /trangthai MÃ — xem tình trạng ý kiến bạn đã gửi.\n"
    "• /bosung MÃ nội dung — bổ sung cho ý kiến đã gửi; /danhgia MÃ 1-5 — đánh giá câu trả lời.\n"
    "• /duthao — xem và góp ý các dự thảo văn kiện đang lấy ý kiến; /dangky — nhận thông báo "
    "khi có dự thảo mới (/dangky kèm tên xã/phường: chỉ những đợt dành cho nơi đó; /huydangky "
    "để hủy).\n"
    "• /huy — hủy ý kiến đang soạn.\n"
    "• /dulieucuatoi — xem dữ liệu của bạn; /xoadulieu — xóa dữ liệu của bạn.\n"
    "• /trogiup — xem hướng dẫn này.\n"
    "• /thamgia MÃ — dành cho cán bộ được mời tham gia.\n"
    "Khẩn cấp, hãy gọi 113 (công an), 114 (cứu hỏa, cứu nạn), 115 (cấp cứu)."
)
STAFF_HELP = (
    "Lệnh dành cho cán bộ:\n"
    "• /baocao [MM/YYYY] — báo cáo tháng của đơn vị (mặc định tháng trước); /tuan — 7 ngày qua.\n"
    "• /xem MÃ — xem một ý kiến; /tim từ khóa — tìm ý kiến trong phạm vi của bạn.\n"
    "• /traloi MÃ nội dung — trả lời, câu trả lời được gửi tới người dân.\n"
    "• /xuly MÃ — đang xử lý; /dong MÃ — đóng; /chuyen MÃ [ghi chú] — chuyển cấp trên;\n"
    "  /khongthuoc MÃ lý do | nơi nên gửi tới — không thuộc thẩm quyền.\n"
    "• /hanchot — các hạn báo cáo; /xong ID — đơn vị đã hoàn thành hạn đó.\n"
    "• /nguoigui MÃ lý do — người gửi một ý kiến (cán bộ được phân công; ghi nhật ký).\n"
    "• Cán bộ, quản trị viên: /taoduthao — tạo đợt lấy ý kiến vào dự thảo văn kiện "
    "(gõ để xem mẫu).\n"
    "• Kiểm duyệt viên: /duyet MÃ, /hanche MÃ, /spam MÃ — quyết định một ý kiến chờ duyệt; "
    "/sua MÃ linhvuc=… loai=… — sửa nhãn; /truc bat|tat — nhận cảnh báo khẩn ngay."
)
UNKNOWN_COMMAND = "Bot không hiểu lệnh «{command}». Gửi /trogiup để xem các lệnh."
RATE_LIMITED = (
    "Bạn đang gửi quá nhanh (hơn {limit} tin nhắn mỗi phút). Các tin nhắn tiếp theo trong phút "
    "này sẽ không được xử lý; bạn vui lòng đợi khoảng {seconds} giây rồi gửi lại."
)
CHOOSE_FROM_OPTIONS = "Bạn vui lòng chọn một mục trong danh sách (bấm nút hoặc gõ số thứ tự)."
STALE_BUTTON = "Nút này đã hết hiệu lực. Bạn làm tiếp theo hướng dẫn mới nhất."
UNSUPPORTED = {
    "sticker": "Cảm ơn nhãn dán của bạn! Bot chỉ đọc được chữ, ảnh và vị trí.",
    "voice": (
        "Bot chưa nghe được tin nhắn thoại. Bạn vui lòng gõ nội dung bằng chữ "
        "(có dấu hoặc không dấu đều được)."
    ),
    "audio": "Bot chưa nhận tệp âm thanh. Bạn vui lòng gõ nội dung bằng chữ.",
    "video": "Bot chưa nhận video. Bạn có thể gửi ảnh chụp và mô tả bằng chữ.",
    "document": (
        "Bot chưa nhận tệp đính kèm. Bạn vui lòng gõ nội dung bằng chữ, có thể kèm ảnh chụp."
    ),
    "contact": "Bot không cần danh bạ. Bạn vui lòng gõ nội dung ý kiến bằng chữ.",
    "other": "Bot chưa xử lý được loại tin nhắn này. Bạn vui lòng gửi chữ, ảnh hoặc vị trí.",
}
PHOTO_NOT_EXPECTED = (
    "Ảnh chỉ được nhận sau khi bạn nhập nội dung ý kiến. Mời bạn làm theo bước hiện tại."
)
LOCATION_NOT_EXPECTED = (
    "Vị trí chỉ được nhận sau khi bạn nhập nội dung ý kiến. Mời bạn làm theo bước hiện tại."
)
EDITED_MESSAGE = (
    "Bot không cập nhật tin nhắn đã sửa. Nếu cần sửa nội dung, hãy dùng nút «Sửa nội dung» "
    "trước khi gửi, hoặc gửi lại tin nhắn mới."
)
GROUP_CHAT = "Để bảo vệ thông tin của bạn, vui lòng nhắn riêng với bot, không gửi trong nhóm."

MY_DATA = (
    "Dữ liệu của bạn:\n"
    "• Mã người dùng ẩn danh: {pseudonym}\n"
    "• Kênh: {channel}\n"
    "• Đồng ý thông báo phiên bản {consent_version} lúc {consent_at}\n"
    "• Số ý kiến đã gửi: {count}"
)
MY_DATA_ITEM = "— {code} ({kind}, {created}, {status}): {text}"
MY_DATA_NONE = "Chúng tôi không lưu dữ liệu nào về bạn."
ERASE_CONFIRM = (
    "Bạn muốn xóa dữ liệu cá nhân? Nội dung các ý kiến sẽ bị xóa, chỉ giữ số liệu thống kê "
    "không gắn với bạn. Không thể hoàn tác."
)
BUTTON_ERASE_YES = "Xóa dữ liệu"
ERASED = "Đã xóa dữ liệu cá nhân của bạn. Cảm ơn bạn đã sử dụng."
ERASED_TEXT_PLACEHOLDER = "[đã xóa theo yêu cầu của người gửi]"

DATETIME_FORMAT = "%H:%M %d/%m/%Y"

SHELL_BANNER = (
    "ykien — kênh dòng lệnh. Gõ tin nhắn như trên điện thoại; gõ số để chọn; "
    "«!anh chú thích» giả lập gửi ảnh, «!vitri 10.77,106.70» gửi vị trí; Ctrl-D để thoát."
)

# `ykien demo` output (an operator reads it in the terminal).
DEMO_DATABASE = "Cơ sở dữ liệu: {url}"
DEMO_CONVERSATION = "── Hội thoại {number} ──"
DEMO_RESIDENT_LINE = "  cư dân> {text}"
DEMO_BOT_LINE = "  bot> {text}"
DEMO_STORED = "{conversations} hội thoại, {stored} ý kiến đã lưu:"
DEMO_MODERATION = (
    "── Kiểm duyệt: {count} ý kiến vào hàng chờ (có dấu hiệu cần xem hoặc phân loại chưa chắc) ──"
)
DEMO_ANSWER_LOOP = "── Trả lời ý kiến {code}: cán bộ xử lý, trả lời; người dân nhận và đánh giá ──"
DEMO_STAFF_LINE = "  {who}> {text}"
DEMO_OUTBOX_LINE = "  (gửi tới)> {text}"
DEMO_MODERATOR = "kiểm duyệt viên"
DEMO_OFFICER = "cán bộ"
DEMO_RESIDENT = "cư dân"
DEMO_CONSULTATION = (
    "── Góp ý dự thảo: đợt lấy ý kiến số {id} «{title}» ({sections} phần); người dân xem và "
    "góp ý, rồi báo cáo tổng hợp được ghi ──"
)
DEMO_CONSULTATION_TITLE = "Dự thảo Báo cáo chính trị Đại hội Đảng bộ phường nhiệm kỳ 2025–2030"
DEMO_CONSULTATION_ISSUER = "Ủy ban MTTQ Việt Nam phường (bản trình diễn)"
DEMO_CONSULTATION_REPORT = "Báo cáo tổng hợp ({count} ý kiến):"
DEMO_ANSWER = (
    "Ủy ban nhân dân phường đã giao Ban quản lý dự án nạo vét cống thoát nước đoạn đường "
    "Lê Lợi trước ngày 15/12; người dân theo dõi thông báo trên bảng tin tổ dân phố."
)

# --- `ykien nlp` (operators) ---------------------------------------------------------------------
NLP_TRAINED = (
    "Đã huấn luyện mô hình lĩnh vực và loại ý kiến trên {examples} ví dụ "
    "trong {train_seconds} giây."
)
NLP_TRAINED_OFFENSIVE = "Đã huấn luyện mô hình phát hiện xúc phạm trên ViHOS."
NLP_CLASSIFY_USAGE = (
    'Cần đúng một trong hai: một đoạn văn bản, hoặc --jsonl TỆP (mỗi dòng {"id", "text"}).'
)
NLP_CANNOT_READ = "Không đọc được tệp {path}: {error}"
NLP_BAD_JSON = "Dòng {line} không phải JSON hợp lệ ({error}); chưa ghi kết quả nào."
NLP_BAD_ROW = 'Dòng {line} thiếu trường "text" kiểu chuỗi; chưa ghi kết quả nào.'
NLP_NO_DATASET = "Không nạp được bộ dữ liệu {name}: {error}"
NLP_TRAINED_WITH_CORRECTIONS = (
    "Đã huấn luyện mô hình lĩnh vực và loại ý kiến trên {examples} ví dụ của kho ngữ liệu và "
    "{corrections} nhãn do người kiểm duyệt sửa (lĩnh vực: {topic}, loại: {kind}) "
    "trong {train_seconds} giây."
)
NLP_CORRECTIONS_OWN_ONLY = "--with-corrections chỉ dùng được với own-topic hoặc own-kind."
NLP_CANNOT_READ_CORRECTIONS = "Không đọc được các nhãn đã sửa từ cơ sở dữ liệu: {error}"

# --- alerts to the admins (sent to YKIEN_ADMIN_CHATS) --------------------------------------------
ALERT_ZALO_OA_REAUTHORIZE = (
    "⚠️ Kênh Zalo OA đã mất quyền gửi tin (mã làm mới hết hiệu lực). Quản trị viên cần chạy "
    "lệnh «ykien zalo oa-authorize» để cấp quyền lại; trong lúc chờ, trả lời cho cư dân trên "
    "Zalo OA sẽ được giữ lại."
)

# --- digests (officers) --------------------------------------------------------------------------
DIGEST_NO_TOPIC = "Chưa phân loại"
DIGEST_NO_LOCALITY = "Không nêu địa bàn"
DIGEST_NO_GROUP = "Không nêu"
DIGEST_HIDDEN_TEXT = "[Nội dung hạn chế — chỉ cán bộ được phân công xem]"
DIGEST_UNKNOWN_UNIT = (
    "Không có đơn vị hành chính mã «{unit}» (mã tỉnh/thành 2 chữ số, xã/phường 5 chữ số)."
)
DIGEST_BAD_PERIOD = "Kỳ báo cáo «{period}» không hợp lệ: dùng YYYY-MM (ví dụ 2026-10) hoặc MM/YYYY."
DIGEST_WRITTEN = "Đã ghi {count} tệp báo cáo kỳ {period} ({unit}) vào {directory}."
DIGEST_ISSUER = "Ủy ban MTTQ Việt Nam {unit}"
DIGEST_ALL_UNITS = "toàn hệ thống"

# --- roles, units and enrollment (officers, operators) -------------------------------------------
ROLE_REFUSED = (
    "Xin lỗi, lệnh /{command} chỉ dành cho cán bộ được phân công. Nếu bạn là cán bộ Mặt trận, "
    "vui lòng xin quản trị viên một mã tham gia."
)
ROLE_NOT_YET = "Lệnh /{command} chưa có trong phiên bản này; chức năng sẽ được bổ sung sau."
ROLE_NO_UNIT = "Tài khoản của bạn chưa gắn với đơn vị nào; vui lòng liên hệ quản trị viên."
ROLE_REPORT_UNAVAILABLE = "Chức năng báo cáo chưa được bật trên máy chủ này."
ROLE_REPORT_BAD_PERIOD = "Tháng «{period}» không hợp lệ: dùng MM/YYYY, ví dụ /baocao 10/2026."
ROLE_VIEW_USAGE = "Vui lòng gửi kèm mã ý kiến, ví dụ: /xem YK-ABC234"
ROLE_VIEW_NOT_FOUND = "Không có ý kiến {code} trong phạm vi của bạn."
ROLE_VIEW = (
    "Ý kiến {code} — {kind}\n"
    "Ngày nhận: {created}\n"
    "Lĩnh vực: {topic}\n"
    "Địa bàn: {locality}\n"
    "Đối tượng: {group}\n"
    "Trạng thái: {status}\n"
    "Hạn trả lời: {due}\n\n"
    "{text}"
)
ROLE_VIEW_NONE = "—"
INVITE_USAGE = "Vui lòng gửi kèm mã tham gia, ví dụ: /thamgia ABCD2345"
INVITE_INVALID = (
    "Mã tham gia này không dùng được. Vui lòng kiểm tra lại, hoặc xin quản trị viên cấp mã mới."
)
INVITE_CONSENT_FIRST = (
    "Để hoàn tất việc tham gia, trước hết bạn cần đồng ý với thông báo bảo vệ dữ liệu cá nhân "
    "dưới đây; mã tham gia sẽ được áp dụng ngay sau đó."
)
INVITE_ACCEPTED = (
    "Bạn đã được ghi nhận là {role} của {unit}{topics}. Các lệnh dành cho bạn: "
    "/baocao [MM/YYYY] (báo cáo tháng), /tuan (7 ngày qua), /xem MÃ (xem một ý kiến)."
)
# An admin who opens an invite of another role keeps the admin role; the invite stays unused.
INVITE_KEEPS_ADMIN = (
    "Bạn đang là quản trị viên. Mã này mời một {role}; dùng nó, bạn sẽ mất quyền quản trị, nên "
    "mã chưa được dùng. Hãy chuyển mã cho người được mời."
)
INVITE_TOPICS = " (lĩnh vực: {topics})"
INVITE_CREATED = (
    "Mã mời {role} — {unit}, hết hạn {expires}, chỉ dùng được một lần:\n"
    "  Liên kết Telegram: {link}\n"
    "  Kênh khác (Zalo…): gửi «/thamgia {code}» cho bot"
)
INVITE_NO_BOT_USERNAME = (
    "(Chưa đặt TELEGRAM_BOT_USERNAME nên không có liên kết Telegram; mã /thamgia vẫn dùng được.)"
)
INVITE_UNKNOWN_UNIT = "Không có đơn vị «{unit}»; xem danh sách bằng «ykien units list»."
INVITE_BAD_ROLE = "Vai trò «{role}» không mời được (một trong: {roles})."
INVITE_UNKNOWN_TOPIC = "Không có lĩnh vực «{topic}» (một trong: {topics})."
INVITE_BAD_EXPIRES = (
    "Thời hạn «{value}» không hợp lệ: dùng ví dụ 7d, 12h hoặc 30m (tối đa {max_days} ngày)."
)
UNITS_LOADED = "Đã nạp {count} đơn vị từ {path}."
UNITS_CANNOT_READ = "Không đọc được tệp đơn vị {path}: {error}"
UNITS_BAD_FORMAT = "Tệp đơn vị {path} phải có khóa «units» chứa một danh sách đơn vị."
UNITS_EMPTY = "Chưa có đơn vị nào; nạp bằng «ykien units load»."
UNIT_ERROR = "Dòng {line}, đơn vị «{code}»: {problem}. Chưa lưu đơn vị nào."
UNIT_MISSING_FIELD = "thiếu trường «{field}»"
UNIT_BAD_CODE = "mã chỉ gồm chữ thường không dấu, chữ số, «_» hoặc «-» (tối đa 32 ký tự)"
UNIT_BAD_KIND = "loại «{kind}» không hợp lệ (một trong: {kinds})"
UNIT_DUPLICATE = "mã bị trùng trong tệp"
UNIT_UNKNOWN_PARENT = "đơn vị cấp trên «{parent}» không tồn tại"
UNIT_CYCLE = "cấp trên tạo thành vòng lặp: {path}"
UNIT_UNKNOWN_LOCALITY = "mã địa bàn «{locality}» không tồn tại"
UNIT_UNKNOWN_GROUP = "đối tượng «{group}» không có trong danh mục (một trong: {groups})"
UNIT_ADDED = "Đã lưu đơn vị «{code}» — {name}."
UNIT_REMOVED = "Đã xóa đơn vị «{code}»."
UNIT_NOT_FOUND = "Không có đơn vị «{code}»."
UNIT_IN_USE = (
    "Không xóa được «{code}»: còn {children} đơn vị trực thuộc, {people} người và "
    "{invites} mã mời gắn với đơn vị này."
)
UNIT_LINE = "{indent}{code} — {name} [{kind}{locality}{group}]"
UNIT_ERROR_NO_LINE = "Đơn vị «{code}»: {problem}. Chưa lưu gì."

# --- answers (/traloi), search (/tim) and answer-deadline reminders ----------------------------
ANSWER_USAGE = (
    "Vui lòng gửi mã ý kiến và nội dung trả lời, ví dụ: /traloi YK-ABC234 Nội dung trả lời."
)
ANSWER_NOT_FOUND = "Không có ý kiến {code} trong phạm vi của bạn."
ANSWER_SENSITIVE_REFUSED = (
    "Ý kiến {code} có nội dung hạn chế: chỉ cán bộ được phân công của đơn vị, kiểm duyệt viên "
    "hoặc quản trị viên được trả lời."
)
ANSWER_TOO_LONG = "Nội dung trả lời quá dài ({length} ký tự); tối đa {limit} ký tự."
# The rating buttons come with it on Telegram; elsewhere the commands to type.
ANSWER_TO_RESIDENT = (
    "Trả lời ý kiến {code}: {text}\n\n"
    "Bạn hài lòng với câu trả lời này ở mức nào? Bấm một nút từ 1 đến 5 sao, hoặc gõ "
    "/danhgia {code} 5 (1: không hài lòng, 5: rất hài lòng).\n"
    "Cần bổ sung thông tin: /bosung {code} nội dung bổ sung"
)
ANSWER_SENT = "Đã ghi nhận trả lời ý kiến {code} và chuyển đến người gửi."
ANSWER_NOT_RELAYED = (
    "Đã ghi nhận trả lời ý kiến {code}. Người gửi đã xóa dữ liệu cá nhân nên câu trả lời "
    "không chuyển được đến họ."
)
SEARCH_USAGE = "Vui lòng gửi kèm từ khóa, ví dụ: /tim ngập nước"
SEARCH_NONE = "Không tìm thấy ý kiến nào có «{words}» trong phạm vi của bạn."
SEARCH_HEADER = "Ý kiến có «{words}» ({count} mới nhất):"
SEARCH_ITEM = "• {code} — {date} — {topic} — {status}\n  {text}"
ANSWERS_DUE_HEADER = (
    "Nhắc hạn trả lời — {unit}: {count} ý kiến chưa trả lời sắp đến hạn "
    "(trong {days} ngày làm việc):"
)
ANSWERS_OVERDUE_HEADER = "Ý kiến quá hạn trả lời — {unit}: {count} ý kiến đã quá hạn chưa trả lời:"
ANSWERS_ITEM = "• {code} — hạn {due}"
ANSWERS_MORE = "… và {more} ý kiến khác."

# --- reporting deadlines: /hanchot, /xong, reminders, `ykien deadlines` (issue 5) ---------------
DEADLINES_HEADER = "Hạn báo cáo — {unit}:"
DEADLINES_ALL_UNITS = "tất cả đơn vị"
DEADLINES_NONE = "Không có hạn báo cáo nào cho {unit}."
DEADLINE_LINE = "• [{id}] {code} — {title}: hạn {due} ({left}) — {status}"
DEADLINE_LEFT = "còn {days} ngày làm việc"
DEADLINE_TODAY = "hạn là hôm nay"
DEADLINE_LATE = "quá hạn {days} ngày làm việc"
DEADLINE_DONE_STATUS = "đã xong"
DEADLINE_NOT_DONE_STATUS = "chưa xong"
DEADLINE_UNITS_DONE = "{done}/{total} đơn vị đã xong"
DEADLINES_FOOTER = "Báo đã xong: /xong SỐ (ví dụ /xong {id})."
DEADLINE_XONG_USAGE = "Cách dùng: /xong SỐ — số trong ngoặc vuông ở danh sách /hanchot."
DEADLINE_UNKNOWN = "Không có hạn báo cáo «{id}». Xem danh sách bằng /hanchot."
DEADLINE_NOT_YOURS = "Hạn «{title}» không áp dụng cho đơn vị của bạn ({unit})."
DEADLINE_MARKED = "Đã ghi nhận: {unit} đã hoàn thành «{title}» kỳ {period} (hạn {due}). Cảm ơn bạn!"
DEADLINE_ALREADY = "{unit} đã báo hoàn thành «{title}» kỳ {period} trước đó; không cần báo lại."
DEADLINE_ADD_USAGE = (
    "Cách dùng: /hanchot them NGÀY/THÁNG/NĂM Tiêu đề "
    "(ví dụ /hanchot them 22/12/2026 Báo cáo quý IV)."
)
DEADLINE_ADD_ADMIN_ONLY = "Chỉ quản trị viên mới thêm được hạn báo cáo."
DEADLINE_ADD_PAST = "Ngày {due} đã qua; hãy chọn một ngày từ hôm nay trở đi."
DEADLINE_ADDED = (
    "Đã thêm hạn [{id}] {code} — {title}: hạn {due}, áp dụng cho {target}. "
    "Nhắc trước {offsets} ngày làm việc."
)
DEADLINE_TARGET_KINDS = "mọi {kinds}"
DEADLINE_REMINDER = (
    "Nhắc hạn báo cáo: «{title}» của {unit} đến hạn {due} ({left}). "
    "Khi hoàn thành, gửi /xong {id} để báo."
)
DEADLINE_OVERDUE = (
    "Quá hạn báo cáo: {unit} chưa báo hoàn thành «{title}» kỳ {period} (hạn {due}). "
    "Đề nghị đôn đốc đơn vị."
)
DEADLINE_ERROR = "Mục {line}, hạn «{code}»: {problem}. Chưa lưu hạn nào."
DEADLINE_ERROR_NO_LINE = "Hạn «{code}»: {problem}. Chưa lưu gì."
DEADLINE_MISSING_FIELD = "thiếu trường «{field}»"
DEADLINE_BAD_CODE = "mã chỉ gồm chữ thường không dấu, chữ số, «_» hoặc «-» (tối đa 64 ký tự)"
DEADLINE_DUPLICATE = "mã bị trùng trong tệp"
DEADLINE_DAY_OR_DATE = "cần đúng một trong hai: «day» (hằng tháng) hoặc «date» (một lần)"
DEADLINE_BAD_DAY = "ngày trong tháng «{day}» không hợp lệ (từ 1 đến 31)"
DEADLINE_BAD_DATE = "ngày «{date}» không hợp lệ (dạng NĂM-THÁNG-NGÀY hoặc NGÀY/THÁNG/NĂM)"
DEADLINE_PAST_DATE = "ngày {date} đã qua"
DEADLINE_NO_TARGET = "cần «units» (mã đơn vị) hoặc «kinds» (loại đơn vị)"
DEADLINE_UNKNOWN_UNIT = "đơn vị «{unit}» không tồn tại"
DEADLINE_BAD_KIND = "loại đơn vị «{kind}» không hợp lệ (một trong: {kinds})"
DEADLINE_BAD_OFFSETS = (
    "số ngày nhắc «{offsets}» không hợp lệ (số nguyên từ 0 đến 60, cách nhau dấu phẩy)"
)
DEADLINES_LOADED = "Đã nạp {count} hạn báo cáo từ {path}."
DEADLINES_CANNOT_READ = "Không đọc được tệp hạn báo cáo {path}: {error}"
DEADLINES_BAD_FORMAT = "Tệp hạn báo cáo {path} phải có khóa «deadlines» chứa một danh sách."
DEADLINES_EMPTY = "Chưa có hạn báo cáo nào; nạp bằng «ykien deadlines load»."
DEADLINE_LIST_LINE = (
    "[{id}] {code} — {title}: {when}; áp dụng cho {target}; nhắc trước {offsets} ngày làm việc"
)
DEADLINE_MONTHLY = "hằng tháng ngày {day} (dời sang ngày làm việc gần nhất)"
DEADLINE_ONCE = "một lần, ngày {due}"
DEADLINE_SAVED = "Đã lưu hạn [{id}] {code} — {title}."

# --- `ykien audit` (operators) -------------------------------------------------------------------
AUDIT_BAD_DATE = "Ngày «{date}» không hợp lệ: dùng YYYY-MM-DD (ví dụ 2026-11-01)."
AUDIT_EMPTY = "Không có mục nhật ký nào từ ngày {date}."
