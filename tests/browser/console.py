#!/usr/bin/env python3
"""The console in a real browser: headless Chromium, driven by Selenium through Debian's
chromedriver, against a live server with the demo data.

    console.py BASE_URL SCREENSHOT_FOLDER

Each scenario sets up what it needs through the API (as a script of an institution would), then
does the user's part through the console's pages only, and checks the outcome both on the page and
through the API. Every page visited is kept as a numbered screenshot.
"""

import datetime
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait


def left_behind(element):
    """Whether the page `element` was on has gone. Mid-navigation Chromium sometimes answers with
    an inspector error about the node instead of a stale reference; both mean it has gone."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e):
            return True
        raise

PASSWORD = "demo-password"
BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


# -- the API, for setting up and for checking --------------------------------------------------

def api(method, path, token=None, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as res:
            text = res.read().decode()
            return res.status, (json.loads(text) if text else None), res.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null"), e.headers


def token(email):
    status, body, _ = api("POST", "/api/v1/auth/token", body={"email": email, "password": PASSWORD})
    assert status == 200, (email, status, body)
    return body["access_token"]


def resource_named(tok, name, province):
    _, body, _ = api("GET", "/api/v1/resources?limit=100&q=" + urllib.parse.quote(name), tok)
    return next(r for r in body["items"] if r["name_en"] == name and r["jurisdiction"]["province"] == province)


def free_slots(tok, rid, minutes, days=14):
    start = datetime.datetime.now(SHANGHAI).replace(microsecond=0) + datetime.timedelta(days=2)
    q = urllib.parse.urlencode({
        "from": start.isoformat(), "to": (start + datetime.timedelta(days=days)).isoformat(),
        "duration_min": minutes})
    status, body, _ = api("GET", f"/api/v1/resources/{rid}/availability?{q}", tok)
    assert status == 200, body
    return body["slots"]


def book(tok, rid, start, end, purpose, **more):
    body = {"resource_id": rid, "start": start, "end": end, "purpose": purpose, **more}
    status, made, _ = api("POST", "/api/v1/bookings", tok, body)
    assert status == 201, made
    return made


def later(iso, minutes):
    return (datetime.datetime.fromisoformat(iso) + datetime.timedelta(minutes=minutes)).isoformat()


# -- the browser ---------------------------------------------------------------------------------

def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="ib-chromium-")]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class User:
    """One person in their own browser."""

    shot = 0

    def __init__(self, email):
        self.email, self.driver = email, browser()

    def snap(self, name):
        User.shot += 1
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(self.driver.get_window_size()["width"], max(height + 120, 600))
        self.driver.save_screenshot(os.path.join(SHOTS, f"{User.shot:02d}-{name}.png"))

    def open(self, path, name):
        self.driver.get(BASE + path)
        self.snap(name)

    def sign_in(self, lang=None):
        self.open("/console/sign-in" + (f"?lang={lang}" if lang else ""), "sign-in")
        self.find("input[name=email]").send_keys(self.email)
        self.find("input[name=password]").send_keys(PASSWORD)
        self.press("button[data-action=sign-in]")
        assert "/console/" in self.driver.current_url, self.driver.current_url
        assert self.driver.find_elements(By.CSS_SELECTOR, "[data-action=sign-out]"), self.text()

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def press(self, css):
        """Clicks a button or link and waits for the page it leads to."""
        button = self.find(css)
        button.click()
        WebDriverWait(self.driver, 20).until(lambda _: left_behind(button))

    def act(self, action, ident, name):
        self.press(f'button[data-action="{action}"][data-id="{ident}"]')
        self.snap(name)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def sign_out(self):
        self.press("button[data-action=sign-out]")
        assert "/console/sign-in" in self.driver.current_url, (self.driver.current_url, self.text())
        self.driver.get(BASE + "/console/queue")
        assert "/console/sign-in" in self.driver.current_url, "the session outlived signing out"
        self.driver.quit()


# -- the scenarios ---------------------------------------------------------------------------------

def operator_approves_one_of_two(admin, booker):
    nmr = resource_named(admin, "800 MHz NMR spectrometer", "SH")
    status, _, headers = api("GET", f"/api/v1/resources/{nmr['id']}", admin)
    status, body, _ = api("PATCH", f"/api/v1/resources/{nmr['id']}", admin,
                          {"conflict_policy": "operator_choice"}, {"if-match": headers["etag"]})
    assert status == 200, body
    slot = free_slots(booker, nmr["id"], 120)[0]["start"]
    first = book(booker, nmr["id"], slot, later(slot, 120), "NMR of compound A")
    second = book(booker, nmr["id"], later(slot, 60), later(slot, 180), "NMR of compound B")
    assert first["state"] == second["state"] == "pending", (first, second)

    op = User("operator@fudan.demo.test")
    op.sign_in()
    op.open("/console/queue", "operator-queue")
    card = op.find(f'[data-booking="{first["id"]}"]')
    assert card.find_elements(By.CSS_SELECTOR, f'[data-competitor="{second["id"]}"]'), card.text
    assert "¥" in card.text and "创新券抵扣" in card.text, card.text  # price and voucher share
    op.act("approve", first["id"], "operator-approved")
    assert str(first["id"]) in op.find("[data-notice]").text
    assert not op.driver.find_elements(By.CSS_SELECTOR, f'[data-booking="{second["id"]}"]')
    op.open(f"/console/bookings/{second['id']}", "operator-rejected-competitor")
    assert op.find("[data-booking]").get_attribute("data-state") == "rejected"
    assert f"(booking {first['id']})" in op.text() or f"预约 {first['id']}" in op.text(), op.text()

    _, history, _ = api("GET", f"/api/v1/bookings/{first['id']}/history", admin)
    approved = [e for e in history["items"] if e["to_state"] == "confirmed"]
    assert approved and approved[-1]["actor_id"] is not None, history
    _, other, _ = api("GET", f"/api/v1/bookings/{second['id']}/history", admin)
    assert other["items"][-1]["reason"], other
    op.open("/console/sessions", "operator-sessions")
    op.open(f"/console/qualifications?resource_id={nmr['id']}", "operator-qualifications")
    op.find("input[name=email]").send_keys("booker@acme.demo.test")
    fill_date(op, "until", datetime.date.today() + datetime.timedelta(days=90))
    op.act("grant-qualification", nmr["id"], "operator-qualified")
    held = op.find("[data-qualification]")
    assert "booker@acme.demo.test" in held.text, op.text()
    granted = held.get_attribute("data-qualification")
    op.act("revoke-qualification", granted, "operator-unqualified")
    assert not op.driver.find_elements(By.CSS_SELECTOR, f'button[data-action="revoke-qualification"][data-id="{granted}"]')
    op.driver.set_window_size(390, 900)
    op.open("/console/queue", "operator-queue-on-a-phone")
    width = op.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the queue scrolls sideways on a phone: {width}px"
    op.driver.set_window_size(1280, 1000)
    op.sign_out()


def manager_blackout_cancels(admin, booker):
    lcms = resource_named(admin, "Orbitrap high-resolution LC-MS", "SH")
    slot = free_slots(booker, lcms["id"], 60)[0]["start"]
    victim = book(booker, lcms["id"], slot, later(slot, 60), "LC-MS of a natural extract")
    assert victim["state"] == "confirmed", victim

    mgr = User("manager@fudan.demo.test")
    mgr.sign_in(lang="en")
    mgr.open("/console/resources", "manager-resources")
    mgr.press(f'a[data-action="blackouts"][data-id="{lcms["id"]}"]')
    mgr.snap("manager-blackouts")
    local = datetime.datetime.fromisoformat(victim["start"]).astimezone(SHANGHAI)
    fill(mgr, "start", local - datetime.timedelta(hours=1))
    fill(mgr, "end", local + datetime.timedelta(hours=3))
    mgr.find("input[name=reason]").send_keys("Ion source replacement")
    mgr.act("add-blackout", lcms["id"], "manager-blackout-collides")
    listed = mgr.find("[data-collisions]")
    assert listed.find_elements(By.CSS_SELECTOR, f'[data-collision="{victim["id"]}"]'), listed.text
    mgr.act("cancel-collisions", lcms["id"], "manager-blackout-added")
    assert "Blackout" in mgr.find("[data-notice]").text
    mgr.open(f"/console/bookings/{victim['id']}", "manager-cancelled-booking")
    assert mgr.find("[data-booking]").get_attribute("data-state") == "cancelled"
    assert "Ion source replacement" in mgr.text()
    _, b, _ = api("GET", f"/api/v1/bookings/{victim['id']}", booker)
    assert b["state"] == "cancelled", b
    manager_edits_the_resource(mgr, admin, lcms["id"], local)
    mgr.sign_out()


def manager_edits_the_resource(mgr, admin, rid, week):
    mgr.open(f"/console/resources/{rid}?week={week.date().isoformat()}", "manager-resource-week")
    assert mgr.driver.find_elements(By.CSS_SELECTOR, "[data-calendar] [data-blackout]"), mgr.text()
    lead = mgr.find("input[name=lead_time_min]")
    lead.clear()
    lead.send_keys("-5")
    mgr.act("save-settings", rid, "manager-rules-refused")
    assert mgr.find('[data-error="lead_time_min"]').text, mgr.text()
    lead = mgr.find("input[name=lead_time_min]")
    lead.clear()
    lead.send_keys("120")
    mgr.act("save-settings", rid, "manager-rules-saved")
    _, r, _ = api("GET", f"/api/v1/resources/{rid}", admin)
    assert r["booking_rules"]["lead_time_min"] == 120, r["booking_rules"]
    sat = mgr.find("input[name=sat]")
    sat.clear()
    sat.send_keys("09:00-12:00")
    mgr.act("save-hours", rid, "manager-hours-saved")
    _, hours, _ = api("GET", f"/api/v1/resources/{rid}/opening-hours", admin)
    assert {"weekday": "sat", "start": "09:00", "end": "12:00"} in hours["weekly"], hours
    mgr.open("/console/import", "manager-import")
    mgr.find("textarea[name=csv]").send_keys(
        "kind,name_en,name_zh,institution_en\ninstrument,Raman microscope,,Fudan University\n")
    mgr.act("import", 0, "manager-import-refused")
    assert mgr.driver.find_elements(By.CSS_SELECTOR, "[data-import-errors] li"), mgr.text()
    mgr.open("/console/reports", "manager-reports")
    assert mgr.driver.find_elements(By.CSS_SELECTOR, '[data-report="sharing"] [data-total]')
    chart = mgr.find("img[src*='utilisation.svg']")
    assert mgr.driver.execute_script("return arguments[0].naturalWidth", chart) > 0, "the chart did not load"


def fill(user, field, when):
    """Types a local time into a datetime-local field as a keyboard would."""
    box = user.find(f"input[name={field}]")
    user.driver.execute_script("arguments[0].value = arguments[1]", box, when.strftime("%Y-%m-%dT%H:%M"))


def fill_date(user, field, day):
    box = user.find(f"input[name={field}]")
    user.driver.execute_script("arguments[0].value = arguments[1]", box, day.isoformat())


def next_weekday(day):
    today = datetime.datetime.now(SHANGHAI).date()
    ahead = (day - today.weekday()) % 7 or 7
    return today + datetime.timedelta(days=ahead)


def booker_books_with_voucher(admin, booker):
    nanjing = resource_named(admin, "600 MHz NMR spectrometer", "JS")
    _, vouchers, _ = api("GET", "/api/v1/vouchers", booker)
    voucher = vouchers["items"][0]
    before = voucher["balance"]["available"]

    me = User("booker@acme.demo.test")
    me.sign_in(lang="en")
    me.open("/console/vouchers", "booker-vouchers-before")
    me.open("/console/search", "booker-search")
    me.find("input[name=q]").send_keys("NMR")
    me.find("input[name=spec]").send_keys("field_mhz>=600")
    me.driver.execute_script("arguments[0].value = arguments[1]", me.find("input[name=date]"),
                             next_weekday(1).isoformat())  # next Tuesday
    hours = me.find("input[name=hours]")
    hours.clear()
    hours.send_keys("2")
    me.press("button[data-action=search]")
    me.snap("booker-search-results")
    me.press(f'a[data-action="quote"][data-id="{nanjing["id"]}"]')
    me.snap("booker-quote")
    row = me.find(f'tr[data-voucher="{voucher["id"]}"]')
    row.find_element(By.CSS_SELECTOR, "input[name=pay]").click()
    me.find("textarea[name=purpose]").send_keys("Structure check of a new catalyst")
    me.act("book", nanjing["id"], "booker-booked")
    assert "/console/bookings/" in me.driver.current_url, me.text()
    page = me.find("[data-booking]")
    assert page.get_attribute("data-state") == "confirmed", me.text()
    share = me.find('[data-field="voucher-share"]').text
    assert share != "¥0.00", share
    me.open(f"/console/vouchers", "booker-vouchers-after")
    shown = me.find(f'[data-voucher="{voucher["id"]}"] [data-field=available]').text
    _, after, _ = api("GET", f"/api/v1/vouchers/{voucher['id']}", booker)
    fell = after["balance"]["available"]
    assert fell < before, (before, fell)
    assert shown == "¥%d.%02d" % (fell // 100, fell % 100), (shown, fell)
    me.open(f"/console/vouchers/{voucher['id']}", "booker-voucher-ledger")
    assert "hold" in me.text().lower(), me.text()
    me.open("/console/feeds", "booker-feeds")
    me.act("subscribe", 0, "booker-feed-made")
    url = me.find("[data-feed-url] code").text
    with urllib.request.urlopen(url) as res:
        calendar = res.read().decode()
    assert "BEGIN:VCALENDAR" in calendar and "Structure check of a new catalyst" in calendar, calendar[:500]
    me.sign_out()
    return voucher["id"]


def issuer_suspends(voucher_id, enterprise):
    issuer = User("issuer@js.demo.test")
    issuer.sign_in()
    issuer.open("/console/vouchers", "issuer-vouchers")
    issuer.find(f'#suspend-reason-{voucher_id}').send_keys("Audit of the grant")
    issuer.act("suspend", voucher_id, "issuer-suspended")
    card = issuer.find(f'[data-voucher="{voucher_id}"]')
    assert card.get_attribute("data-status") == "suspended", card.text
    assert "已暂停" in card.text, card.text  # the issuer reads Chinese
    assert issuer.driver.find_elements(By.CSS_SELECTOR, f'button[data-action="reinstate"][data-id="{voucher_id}"]')
    issuer.open("/console/programmes", "issuer-programmes")
    Select(issuer.find("select[name=program_id]")).select_by_index(0)
    issuer.find("input[name=enterprise_id]").send_keys(str(enterprise))
    issuer.find("input[name=amount_yuan]").send_keys("5000")
    fill_date(issuer, "expires_on", datetime.date.today() + datetime.timedelta(days=365))
    issuer.act("grant", 0, "issuer-granted")
    assert "/console/vouchers" in issuer.driver.current_url, issuer.text()
    assert len(issuer.driver.find_elements(By.CSS_SELECTOR, "[data-voucher]")) >= 2
    issuer.open("/console/reports", "issuer-flows")
    chart = issuer.find("img[src*='flows.svg']")
    assert issuer.driver.execute_script("return arguments[0].naturalWidth", chart) > 0
    issuer.sign_out()


def main():
    os.makedirs(SHOTS, exist_ok=True)
    admin, booker = token("admin@demo.test"), token("booker@acme.demo.test")
    operator_approves_one_of_two(admin, booker)
    manager_blackout_cancels(admin, booker)
    voucher = booker_books_with_voucher(admin, booker)
    _, me, _ = api("GET", "/api/v1/me", booker)
    issuer_suspends(voucher, me["organization"]["id"])
    print(f"console: every scenario passed; {User.shot} screenshots in {SHOTS}")


if __name__ == "__main__":
    main()
