"""Open311 client libraries from PyPI against a live Minsheng server.

georeport (reads, in JSON and XML) and three (posts, tokens, discovery) talk to the
server exactly as they talk to a city's Open311 endpoint. Every check that fails is
printed; the exit code is the number of failures.

    python open311_clients.py ROOT_URL API_KEY
"""

import sys
from datetime import datetime, timedelta, timezone

import requests
from georeport import GeoReport
from three import Three

ROOT, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
failures = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if not ok and detail else ""))
    if not ok:
        failures.append(what)


def as_list(x):
    """xmltodict gives one child as a dict and several as a list."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


# Services and their definitions, in both formats (georeport).
for fmt in ("json", "xml"):
    g = GeoReport(ROOT, api_key=KEY, output_format=fmt)
    services = as_list(g.get_service_list())
    codes = {s["service_code"] for s in services}
    check(f"georeport {fmt}: services listed", {"gongre", "chengxiang"} <= codes, codes)
    heating = next((s for s in services if s["service_code"] == "gongre"), {})
    check(f"georeport {fmt}: heating has metadata", str(heating.get("metadata")).lower() == "true", heating)
    definition = g.get_service_definition("gongre")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = as_list(attributes["attribute"])
    kinds = {a["datatype"] for a in attributes}
    check(
        f"georeport {fmt}: heating's attributes",
        {"string", "singlevaluelist", "multivaluelist"} <= kinds,
        kinds,
    )

# Discovery and a post with attributes (three, JSON).
t = Three(ROOT + "/", api_key=KEY, format="json")
discovery = t.discovery()
check("three: discovery names this endpoint", any(e["url"].endswith("/open311/v2") for e in discovery["endpoints"]), discovery)
posted = t.post(
    "gongre",
    description="暖气片冰凉，家里有老人，电话13800138000",
    address="柳林镇李官屯村",
    first_name="三",
    last_name="张",
    phone="13800138000",
    **{"attribute[problem]": "暖气不热", "attribute[who][]": ["老人", "婴幼儿"]},
)
check("three: post answered", t.post_response.status_code == 200, t.post_response.text)
request_id = posted[0]["service_request_id"]
token = posted[0]["token"]
by_token = t.token(token)
check("three: token gives the request", by_token[0]["service_request_id"] == request_id, by_token)

# Reading it back (georeport), in both formats; nothing of who raised it.
now = datetime.now(timezone.utc)
for fmt in ("json", "xml"):
    g = GeoReport(ROOT, output_format=fmt)
    one = g.get_service_request(request_id)
    check(f"georeport {fmt}: the request", one["service_request_id"] == request_id and one["status"] == "open", one)
    check(f"georeport {fmt}: service", one["service_code"] == "gongre", one)
    text = str(one)
    check(f"georeport {fmt}: no personal data", "13800138000" not in text and "张三" not in text, text)
    by_id = as_list(g.get_service_requests(service_request_id=request_id))
    check(f"georeport {fmt}: by id", [r["service_request_id"] for r in by_id] == [request_id], by_id)
    recent = as_list(
        g.get_service_requests(
            service_code="gongre",
            status="open",
            start_date=(now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_date=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    )
    check(
        f"georeport {fmt}: filtered list",
        request_id in [r["service_request_id"] for r in recent]
        and all(r["status"] == "open" and r["service_code"] == "gongre" for r in recent),
        len(recent),
    )
    closed = as_list(g.get_service_requests(status="closed"))
    check(f"georeport {fmt}: closed ones are closed", all(r["status"] == "closed" for r in closed), len(closed))

# The standard's errors.
r = requests.post(f"{ROOT}/requests.json", data={"service_code": "gongre", "lat": "35.1", "long": "117.2"})
check("no api_key: 403 naming it", r.status_code == 403 and r.json()[0]["description"].startswith("api_key"), r.text)
r = requests.post(f"{ROOT}/requests.xml", data={"api_key": KEY, "service_code": "gongre"})
check("no location: 400 in XML", r.status_code == 400 and "<errors>" in r.text, r.text)
r = requests.get(f"{ROOT}/requests.json", params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"})
check("more than 90 days: 400", r.status_code == 400, r.text)
r = requests.get(f"{ROOT}/services/nope.json")
check("unknown service: 404", r.status_code == 404 and r.json()[0]["code"] == 404, r.text)

print(f"{len(failures)} failed" if failures else "all Open311 client checks passed")
sys.exit(len(failures))
