"""Who and what the demo is: the community, its cast of people, its units, in one language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["zh_Hans", "en"]
ADMIN_CHAT_ID = -1001000000888
# Telegram ids of the cast; new people made on the page count up from here.
NEW_USER_FIRST_ID = 720_001


@dataclass(frozen=True)
class CastMember:
    """Someone the sandbox plays: a resident, a visitor or a staff member."""

    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    language: Language
    kind: Literal["resident", "visitor", "staff"]
    role: str = ""  # owner / tenant / family, or manager / technician / guard
    unit: str = ""  # "building-number" for residents
    phone: str | None = None

    @property
    def full_name(self) -> str:
        if self.last_name is None:
            return self.first_name
        # Chinese names are written family name first without a space.
        if self.language == "zh_Hans" and not self.first_name.isascii():
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}"

    @property
    def telegram_names(self) -> tuple[str, str | None]:
        """First and last name as the person typed them into Telegram."""
        if self.language == "zh_Hans" and not self.first_name.isascii():
            return self.full_name, None
        return self.first_name, self.last_name

    @property
    def telegram_language(self) -> str:
        return "zh-hans" if self.language == "zh_Hans" else "en"


@dataclass(frozen=True)
class Blueprint:
    """What the demo community looks like in one language."""

    language: Language
    community: str
    address: str
    group_title: str
    buildings: tuple[str, str, str]
    fee_names: tuple[str, str, str]
    gate_names: tuple[str, str]
    staff: tuple[CastMember, ...]


def blueprint(language: Language) -> Blueprint:
    """The community, its staff and its gates in the operator's language."""
    zh = language == "zh_Hans"

    def staff(key: str, tid: int, zh_name: tuple[str, str], en_name: tuple[str, str]) -> CastMember:
        first, last = zh_name if zh else en_name
        return CastMember(key, tid, first, last, language, "staff", role=key, phone=None)

    return Blueprint(
        language=language,
        community="阳光花园" if zh else "Sunny Garden",
        address="上海市浦东新区阳光路 88 号" if zh else "88 Yangguang Road, Pudong, Shanghai",
        group_title="阳光花园 · 物业工作群" if zh else "Sunny Garden · Property staff",
        buildings=("1栋", "2栋", "3栋") if zh else ("Block 1", "Block 2", "Block 3"),
        fee_names=("物业管理费", "生活垃圾处理费", "车位管理费")
        if zh
        else ("Property management", "Waste collection", "Parking space"),
        gate_names=("东门", "北门车道") if zh else ("East Gate", "North Car Gate"),
        staff=(
            staff("manager", 800_001, ("静", "李"), ("Jing", "Li")),
            staff("technician", 800_002, ("建国", "张"), ("Jianguo", "Zhang")),
            staff("guard", 800_003, ("强", "王"), ("Qiang", "Wang")),
        ),
    )


def residents(plan: Blueprint) -> tuple[CastMember, ...]:
    """Four households in two languages, as a real 小区 has."""
    b1, b2, _ = plan.buildings
    return (
        CastMember(
            "wang", 700_001, "秀英", "王", "zh_Hans", "resident", "owner", f"{b1}-301",
            "+8613800138001",
        ),
        CastMember(
            "emily", 700_002, "Emily", "Chen", "en", "resident", "tenant", f"{b1}-502",
            "+8613800138002",
        ),
        CastMember(
            "chen", 700_003, "志强", "陈", "zh_Hans", "resident", "owner", f"{b2}-201",
            "+8613800138003",
        ),
        CastMember(
            "david", 700_004, "David", "Miller", "en", "resident", "owner", f"{b2}-602",
            "+8613800138004",
        ),
    )  # fmt: skip


VISITORS = (
    CastMember("liu", 710_001, "洋", "刘", "zh_Hans", "visitor"),
    CastMember("sam", 710_002, "Sam", "Taylor", "en", "visitor"),
)


def cast(plan: Blueprint) -> tuple[CastMember, ...]:
    return (*residents(plan), *VISITORS, *plan.staff)


def units_csv(plan: Blueprint) -> str:
    """Three buildings, six floors, two flats a floor, with realistic areas."""
    areas = {
        plan.buildings[0]: ("89.50", "120.00"),
        plan.buildings[1]: ("76.80", "98.20"),
        plan.buildings[2]: ("65.30", "143.60"),
    }
    lines = ["building,unit,floor,area_m2"]
    for building in plan.buildings:
        for floor in range(1, 7):
            for side in (1, 2):
                lines.append(f"{building},{floor}0{side},{floor},{areas[building][side - 1]}")
    return "\n".join(lines) + "\n"
