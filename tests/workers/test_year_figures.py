"""The year's figures from its terms' (pure, no database): sums, and 人数 counted once."""

from workers.reporting.figures_year import compose, is_year


def money(allocated, received, awarded, paid):
    return {
        "allocated": allocated,
        "received": received,
        "awarded": awarded,
        "paid": paid,
        "arrival_rate": None,
        "payout_rate": None,
    }


def term(code, *, students, awards, amount, paid, shared=False, source="county"):
    figures = {"students": students, "awards": awards, "amount": amount, "paid": paid}
    project = {
        "code": "AID",
        "name": "资助",
        "source": "provincial",
        "fund_group": "government",
        "shared_with_other_schools": shared,
        **money("100.00", "100.00", amount, paid),
        "allocated_by_source": {source: "100.00"},
        "received_by_source": {source: "100.00"},
        "total": figures,
    }
    counted = "0.00" if shared else "100.00"
    return {
        "term": {"code": code, "start_date": "", "end_date": ""},
        "scope": "school",
        "district": {"code": "D", "name": "县"},
        "schools": [{"code": "S", "name": "小学", "level": "primary"}],
        "aid": {
            "total": figures,
            "schools": {"S": figures},
            "projects": [project],
            "funds": {
                "government": money(counted, counted, amount, paid),
                "social": money("0.00", "0.00", "0.00", "0.00"),
                "all": {"allocated": counted, "received": counted, "awarded": amount, "paid": paid},
                "by_source": {}
                if shared
                else {source: {"allocated": "100.00", "received": "100.00"}},
            },
        },
    }


def test_money_and_awards_add_up_and_students_come_once():
    autumn = term("A", students=3, awards=4, amount="40.00", paid="30.50")
    spring = term("B", students=2, awards=2, amount="20.00", paid="20.00", source="central")
    aided = {"students": 4, "awards": 6, "schools": {"S": 4}, "projects": {"AID": 4}}
    data = compose(school_year="2026-2027", terms=[autumn, spring], aided=aided)
    assert is_year(data) and not is_year(autumn)
    aid = data["aid"]
    assert aid["total"] == {"students": 4, "awards": 6, "amount": "60.00", "paid": "50.50"}
    assert aid["funds"]["all"] == {
        "allocated": "200.00",
        "received": "200.00",
        "awarded": "60.00",
        "paid": "50.50",
    }
    assert aid["funds"]["by_source"] == {
        "county": {"allocated": "100.00", "received": "100.00"},
        "central": {"allocated": "100.00", "received": "100.00"},
    }
    [project] = aid["projects"]
    assert (project["students"], project["awards"], project["awarded"]) == (4, 6, "60.00")
    assert project["allocated_by_source"] == {"central": "100.00", "county": "100.00"}
    assert project["payout_rate"] is not None
    assert [row["students"] for row in aid["by_term"]] == [3, 2]
    assert data["headline"]["terms"] == 2


def test_a_project_shared_in_one_term_stays_out_of_the_schools_funds_that_term():
    autumn = term("A", students=1, awards=1, amount="10.00", paid="10.00", shared=True)
    spring = term("B", students=1, awards=1, amount="10.00", paid="10.00")
    aided = {"students": 1, "awards": 2, "schools": {"S": 1}, "projects": {"AID": 1}}
    data = compose(school_year="2026-2027", terms=[autumn, spring], aided=aided)
    funds = data["aid"]["funds"]
    assert funds["all"]["allocated"] == "100.00"
    assert funds["shared_projects"] == ["AID"]
    # The project's own row shows the whole project's money, as each term's row does.
    assert data["aid"]["projects"][0]["allocated"] == "200.00"
