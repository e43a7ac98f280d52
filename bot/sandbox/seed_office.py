"""The office's own work in the demo community, seeded through the domain services.

Two patrol checkpoints and a fire lane (their QR sheet comes with ``/checkpoints``
in the admin group), a night route, an equipment ledger (two elevators, a pump,
five lights) with a monthly elevator plan and a weekly pump plan; then a month of
records (:mod:`bot.sandbox.seed_office_month`: rounds walked, the light round,
maintenance done — the current periods' tasks are posted by the task job as due).
Called once from :func:`bot.sandbox.seed._seed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.sandbox.seed_office_month import seed_office_month
from core.clock import Clock
from core.equipment.ledger import import_equipment, parse_equipment_csv
from core.equipment.models import Frequency
from core.equipment.plans import add_plan
from core.models import Community, Person
from core.patrols.checkpoints import Coordinates, create_checkpoint
from core.patrols.models import CheckpointKind
from core.patrols.routes import create_route, parse_schedule


@dataclass(frozen=True)
class _Words:
    points: tuple[tuple[str, str], ...]
    lane: tuple[str, str]
    route: str
    equipment: str
    elevator_steps: list[str]
    pump_steps: list[str]
    task_notes: str


_ZH = _Words(
    points=(("北门", "北门岗亭外"), ("地下车库", "B1 电梯厅")),
    lane=("东侧消防通道", "2栋与3栋之间"),
    route="夜间巡更",
    equipment=(
        "name,kind,place,building,installed_on,vendor,responsible_role\n"
        "1栋1号电梯,elevator,1栋大堂,1栋,2019-05-01,奥的斯,technician\n"
        "2栋1号电梯,elevator,2栋大堂,2栋,2019-05-01,奥的斯,technician\n"
        "生活水泵,pump,地下泵房,,2018-01-15,格兰富,technician\n"
        "北门路灯,street_light,北门,,,,guard\n"
        "中心花园路灯,street_light,中心花园,,,,guard\n"
        "1栋1楼楼道灯,stair_light,1栋一楼,1栋,,,guard\n"
        "2栋1楼楼道灯,stair_light,2栋一楼,2栋,,,guard\n"
        "3栋1楼楼道灯,stair_light,3栋一楼,3栋,,,guard\n"
    ),
    elevator_steps=["检查制动器", "清理底坑", "测试警铃"],
    pump_steps=["检查压力", "听运行声音"],
    task_notes="例行保养完成，运行正常。",
)
_EN = _Words(
    points=(("North gate", "Outside the gate house"), ("Car park", "B1 lift lobby")),
    lane=("East fire lane", "Between buildings 2 and 3"),
    route="Night round",
    equipment=(
        "name,kind,place,building,installed_on,vendor,responsible_role\n"
        "Elevator 1-1,elevator,Building 1 lobby,Building 1,2019-05-01,Otis,technician\n"
        "Elevator 2-1,elevator,Building 2 lobby,Building 2,2019-05-01,Otis,technician\n"
        "Water pump,pump,Pump room,,2018-01-15,Grundfos,technician\n"
        "North gate light,street_light,North gate,,,,guard\n"
        "Garden light,street_light,Central garden,,,,guard\n"
        "Stair light 1-1,stair_light,Building 1 ground floor,Building 1,,,guard\n"
        "Stair light 2-1,stair_light,Building 2 ground floor,Building 2,,,guard\n"
        "Stair light 3-1,stair_light,Building 3 ground floor,Building 3,,,guard\n"
    ),
    elevator_steps=["Check the brakes", "Clean the pit", "Test the alarm"],
    pump_steps=["Check the pressure", "Listen to it running"],
    task_notes="Routine maintenance done, running normally.",
)
GATE_HOUSE = Coordinates(31.2304, 121.4737)


async def seed_office(
    session: AsyncSession, community: Community, people: dict[str, Person], clock: Clock
) -> None:
    words = _ZH if community.locale == "zh_Hans" else _EN
    manager = people["manager"]
    points = []
    for index, (name, place) in enumerate(words.points):
        points.append(
            await create_checkpoint(
                session,
                community,
                name=name,
                place=place,
                coordinates=GATE_HOUSE if index == 0 else None,
                photo_required=False,
                actor_person_id=manager.id,
            )
        )
    lane_name, lane_place = words.lane
    await create_checkpoint(
        session,
        community,
        name=lane_name,
        place=lane_place,
        coordinates=None,
        photo_required=True,
        actor_person_id=manager.id,
        kind=CheckpointKind.FIRE_LANE,
    )
    schedule = parse_schedule("22:00-06:00/2h")
    assert schedule is not None
    route = await create_route(
        session,
        community,
        name=words.route,
        checkpoint_ids=[p.id for p in points],
        schedule=schedule,
        actor_person_id=manager.id,
    )
    await import_equipment(session, community, parse_equipment_csv(words.equipment), manager.id)
    await add_plan(
        session,
        community,
        target="elevator",
        frequency=Frequency.MONTHLY,
        checklist=list(words.elevator_steps),
        actor_person_id=manager.id,
    )
    await add_plan(
        session,
        community,
        target="pump",
        frequency=Frequency.WEEKLY,
        checklist=list(words.pump_steps),
        actor_person_id=manager.id,
    )
    await seed_office_month(
        session,
        community,
        route=route,
        points=points,
        location=GATE_HOUSE,
        people=people,
        clock=clock,
        notes=words.task_notes,
    )
