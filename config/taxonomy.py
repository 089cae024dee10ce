"""Labels: topics (lĩnh vực), kinds of submission, and self-declared target groups.

Codes are stable ASCII identifiers stored in the database; display names are Vietnamese.
The order of each mapping is the order shown to residents.
"""

TOPICS: dict[str, str] = {
    "dat_dai": "Đất đai, nhà ở, quy hoạch",
    "moi_truong": "Tài nguyên, môi trường",
    "giao_thong_ha_tang": "Giao thông, hạ tầng đô thị",
    "dien_nuoc_vien_thong": "Điện, nước sạch, viễn thông",
    "y_te": "Y tế, an toàn thực phẩm",
    "giao_duc": "Giáo dục, đào tạo",
    "lao_dong_an_sinh": "Lao động, việc làm, chính sách xã hội",
    "kinh_te_nong_nghiep": "Kinh tế, nông nghiệp, giá cả",
    "an_ninh_trat_tu": "Quốc phòng, an ninh, trật tự xã hội",
    "hanh_chinh_can_bo": "Hành chính, cán bộ, xây dựng chính quyền",
    "van_hoa_xa_hoi": "Văn hóa, thông tin, xã hội",
    "khac": "Khác",
}

KINDS: dict[str, str] = {
    "gop_y": "Góp ý, đề xuất",
    "phan_anh": "Phản ánh, kiến nghị",
    "khieu_nai": "Khiếu nại",
    "to_cao": "Tố cáo",
    "hoi_dap": "Câu hỏi",
}

# Kinds the NLP may assign although residents are not offered them in the menu.
EXTRA_KINDS: dict[str, str] = {"khen_ngoi": "Khen ngợi, cảm ơn"}
# Every kind a submission may carry (chosen by the resident or read by the NLP), by code.
KIND_NAMES: dict[str, str] = {**KINDS, **EXTRA_KINDS}


def kind_name(code: str) -> str:
    """The display name of a kind; the code itself when unknown."""
    return KIND_NAMES.get(code, code)


TARGET_GROUPS: dict[str, str] = {
    "nong_dan": "Nông dân",
    "cong_nhan": "Công nhân",
    "phu_nu": "Phụ nữ",
    "cuu_chien_binh": "Cựu chiến binh",
    "thanh_nien": "Thanh niên",
    "nguoi_cao_tuoi": "Người cao tuổi",
    "tri_thuc": "Trí thức",
    "chuc_sac_ton_giao": "Chức sắc tôn giáo",
    "dan_toc_thieu_so": "Dân tộc thiểu số",
    "khac": "Khác",
}

STATUSES: dict[str, str] = {
    "da_tiep_nhan": "Đã tiếp nhận",
    "dang_xu_ly": "Đang xử lý",
    "da_tra_loi": "Đã trả lời",
    "da_dong": "Đã đóng",
    "chuyen_cap_tren": "Đã chuyển cấp trên",
    "khong_thuoc_tham_quyen": "Không thuộc thẩm quyền",
}

INITIAL_STATUS = "da_tiep_nhan"
