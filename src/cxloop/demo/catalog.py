"""The demo shop's product catalogue: ids, Korean and English names, categories and KRW prices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str  # the shop's canonical (Korean) name, used in feedback.product
    name_en: str
    category: str
    price: int  # KRW


_ROWS: tuple[tuple[str, str, str, int], ...] = (
    ("fashion", "데일리 코튼 반팔 티셔츠", "daily cotton T-shirt", 19_900),
    ("fashion", "와이드 데님 팬츠", "wide denim pants", 49_900),
    ("fashion", "경량 패딩 조끼", "light padded vest", 59_000),
    ("fashion", "린넨 셔츠 원피스", "linen shirt dress", 69_000),
    ("fashion", "쿠셔닝 러닝화", "cushioned running shoes", 89_000),
    ("fashion", "캔버스 토트백", "canvas tote bag", 29_800),
    ("beauty", "수분 진정 크림 50ml", "soothing moisture cream 50ml", 28_000),
    ("beauty", "비타민C 세럼 30ml", "vitamin C serum 30ml", 32_900),
    ("beauty", "무기자차 선크림 SPF50+", "mineral sunscreen SPF50+", 18_900),
    ("beauty", "저자극 클렌징폼 150ml", "gentle cleansing foam 150ml", 12_900),
    ("beauty", "벨벳 틴트 립 세트", "velvet lip tint set", 24_000),
    ("beauty", "탈모 케어 샴푸 500ml", "hair-loss care shampoo 500ml", 21_900),
    ("food", "제주 감귤 5kg", "Jeju tangerines 5kg", 27_900),
    ("food", "한우 1++ 등심 선물세트", "premium Hanwoo sirloin gift set", 189_000),
    ("food", "유기농 현미 10kg", "organic brown rice 10kg", 42_000),
    ("food", "콜드브루 원액 1L", "cold brew concentrate 1L", 15_900),
    ("food", "닭가슴살 스테이크 30팩", "chicken breast steak 30 packs", 39_900),
    ("food", "프리미엄 견과 30봉", "premium mixed nuts 30 packs", 25_900),
    ("food", "명절 과일 선물세트", "holiday fruit gift box", 79_000),
    ("living", "호텔식 구스 이불", "hotel goose-down duvet", 159_000),
    ("living", "스테인리스 텀블러 500ml", "stainless tumbler 500ml", 23_900),
    ("living", "극세사 수건 10매", "microfiber towels (10)", 29_900),
    ("living", "아로마 디퓨저 200ml", "aroma diffuser 200ml", 19_800),
    ("living", "논슬립 옷걸이 50개", "non-slip hangers (50)", 17_900),
    ("living", "주방 세제 리필 6개", "dish soap refill (6)", 14_900),
    ("appliance", "무선 스틱 청소기 V8", "cordless stick vacuum V8", 329_000),
    ("appliance", "에어프라이어 5.5L", "air fryer 5.5L", 119_000),
    ("appliance", "초음파 가습기", "ultrasonic humidifier", 69_900),
    ("appliance", "미니 제습기", "mini dehumidifier", 149_000),
    ("appliance", "전기 그릴 팬", "electric grill pan", 89_000),
    ("digital", "노이즈캔슬링 블루투스 이어폰 Pro", "noise-cancelling earbuds Pro", 179_000),
    ("digital", "고속 충전기 65W", "65W fast charger", 39_000),
    ("digital", "스마트워치 밴드", "smartwatch band", 19_900),
    ("digital", "기계식 키보드", "mechanical keyboard", 99_000),
    ("digital", "10000mAh 보조배터리", "10000mAh power bank", 29_900),
    ("digital", "태블릿 거치대", "tablet stand", 24_900),
    ("kids", "아기 물티슈 80매 10팩", "baby wipes 80 x 10", 19_900),
    ("kids", "유아 원목 블록 세트", "wooden toy blocks", 45_000),
    ("kids", "어린이 킥보드", "kids kick scooter", 79_000),
    ("kids", "신생아 바디슈트 3종", "newborn bodysuits (3)", 32_000),
    ("sports", "요가매트 8mm", "yoga mat 8mm", 29_000),
    ("sports", "폼롤러", "foam roller", 19_900),
    ("sports", "캠핑 의자 2개 세트", "camping chairs (2)", 89_000),
    ("sports", "등산 스틱", "trekking poles", 59_000),
    ("sports", "덤벨 5kg 2개", "dumbbells 5kg (2)", 49_000),
)

PRODUCTS: tuple[Product, ...] = tuple(
    Product(f"P{1001 + position}", name, name_en, category, price)
    for position, (category, name, name_en, price) in enumerate(_ROWS)
)

BY_CATEGORY: dict[str, tuple[Product, ...]] = {
    category: tuple(p for p in PRODUCTS if p.category == category) for category in dict.fromkeys(r[0] for r in _ROWS)
}
