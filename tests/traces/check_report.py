# Checks the files test_report writes: the report and Chrome JSON parse with
# Python's json module, Chrome events carry the fields Perfetto needs, SVGs parse as XML.
import json
import sys
import xml.etree.ElementTree as ET

report = json.load(open("report.json"))
assert report["vm_exits"]["total"] == 100, report["vm_exits"]["total"]
assert [k for k in report] == ["format", "version", "source", "trace", "domains", "vm_exits",
                               "hypercalls", "hypercalls_by_domain", "interrupts", "exceptions", "vm_exits_by_domain",
                               "exceptions_by_domain", "domain_events", "ports"], list(report)

chrome = json.load(open("report_chrome.json"))
events = chrome["traceEvents"]
for ev in events:
    for key in ("name", "ph", "pid", "tid"):
        assert key in ev, (key, ev)
    assert ev["ph"] in ("X", "i", "M"), ev
    assert ev["pid"] > 0, ("Perfetto treats pid 0 as special", ev)
    if ev["ph"] != "M":
        assert isinstance(ev["ts"], (int, float)), ev
    if ev["ph"] == "X":
        assert isinstance(ev["dur"], (int, float)) and ev["dur"] >= 0, ev
    if ev["ph"] == "i":
        assert ev["s"] in ("t", "p", "g"), ev
ts = [ev["ts"] for ev in events if ev["ph"] != "M"]
assert ts == sorted(ts), "events out of time order"

for name in ("report_exits.svg", "report_cpu.svg"):
    root = ET.parse(name).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
print("report files ok:", len(events), "chrome events")
