"""JSON shapes of the UK Parliament Members API, built from the fake dataset."""

from __future__ import annotations

from .dataset import FakeConstituency, FakeMember, FakePostcode

THUMBNAIL = "https://members-api.parliament.uk/api/Members/{id}/Thumbnail"
COMMONS = 1


def _link(rel: str, href: str) -> dict[str, str]:
    return {"rel": rel, "href": href, "method": "GET"}


def member_links(member_id: int) -> list[dict[str, str]]:
    return [
        _link("self", f"/Members/{member_id}"),
        _link("overview", f"/Members/{member_id}"),
        _link("synopsis", f"/Members/{member_id}/Synopsis"),
        _link("contactInformation", f"/Members/{member_id}/Contact"),
    ]


def party_json(member: FakeMember) -> dict[str, object]:
    p = member.party
    return {
        "id": p.id,
        "name": p.name,
        "abbreviation": p.abbreviation,
        "backgroundColour": p.background_colour,
        "foregroundColour": p.foreground_colour,
        "isLordsMainParty": False,
        "isLordsSpiritualParty": False,
        "governmentType": None,
        "isIndependentParty": p.is_independent,
    }


def house_membership_json(member: FakeMember) -> dict[str, object]:
    return {
        "membershipFrom": member.constituency_name,
        "membershipFromId": member.constituency_id,
        "house": COMMONS,
        "membershipStartDate": member.membership_start,
        "membershipEndDate": None,
        "membershipEndReason": None,
        "membershipEndReasonNotes": None,
        "membershipEndReasonId": None,
        "membershipStatus": {
            "statusIsActive": True,
            "statusDescription": "Current Member",
            "statusNotes": None,
            "statusId": 0,
            "status": 0,
            "statusStartDate": member.membership_start,
        },
    }


def member_json(member: FakeMember) -> dict[str, object]:
    return {
        "id": member.id,
        "nameListAs": member.name_list_as,
        "nameDisplayAs": member.name_display_as,
        "nameFullTitle": member.name_full_title,
        "nameAddressAs": member.name_address_as,
        "latestParty": party_json(member),
        "gender": member.gender,
        "latestHouseMembership": house_membership_json(member),
        "thumbnailUrl": THUMBNAIL.format(id=member.id),
    }


def constituency_json(seat: FakeConstituency, member: FakeMember | None) -> dict[str, object]:
    representation = None
    if member is not None:
        representation = {
            "member": {"value": member_json(member), "links": []},
            "representation": house_membership_json(member),
        }
    return {
        "id": seat.id,
        "name": seat.name,
        "startDate": seat.start_date,
        "endDate": None,
        "currentRepresentation": representation,
    }


def _contact(type_id: int, type_name: str, **fields: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "type": type_name,
        "typeDescription": type_name,
        "typeId": type_id,
        "isPreferred": False,
        "isWebAddress": False,
        "notes": None,
        "line1": None,
        "line2": None,
        "line3": None,
        "line4": None,
        "line5": None,
        "postcode": None,
        "phone": None,
        "fax": None,
        "email": None,
    }
    entry.update(fields)
    return entry


def contact_json(member: FakeMember, office_postcode: FakePostcode | None) -> list[dict]:
    """Contact entries.  Street lines of the constituency office are invented."""
    entries = []
    if member.parliamentary_office:
        entries.append(
            _contact(
                1,
                "Parliamentary office",
                isPreferred=True,
                line1="House of Commons",
                line2="London",
                postcode="SW1A 0AA",
                phone="020 7219 3000",
                email=member.email,
            )
        )
    if member.constituency_office:
        town = office_postcode.admin_district if office_postcode else None
        entries.append(
            _contact(
                4,
                "Constituency office",
                isPreferred=not member.parliamentary_office,
                line1=f"{member.id % 90 + 10} High Street",
                line2=town or member.constituency_name,
                postcode=office_postcode.postcode if office_postcode else None,
                phone=None,
                email=member.constituency_office_email,
            )
        )
    if member.website:
        entries.append(_contact(7, "Website", isWebAddress=True, line1=member.website))
    return entries
