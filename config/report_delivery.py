"""Vietnamese strings of the digest's report-file delivery in chat."""

# Appended to the digest text on channels that cannot carry the files (Zalo Bot: no document
# API and photos by URL only; Zalo OA: its file upload is not used): the files are still written
# on the server, under the data directory's reports/<period>/<recipient>/.
FILES_NOT_SENT_NOTE = (
    "Tệp báo cáo (Word, Excel, biểu đồ) của kỳ này đã được lập nhưng không gửi được qua kênh này: "
    "xin liên hệ quản trị viên hệ thống để nhận tệp, hoặc dùng Telegram để nhận trực tiếp."
)
