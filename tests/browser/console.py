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
from selenium.webdriver.support.ui import Select

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
        self.find("button[data-action=sign-in]").click()
        assert "/console/" in self.driver.current_url, self.driver.current_url
        assert self.driver.find_elements(By.CSS_SELECTOR, "[data-action=sign-out]"), self.text()

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def act(self, action, ident, name):
        self.find(f'button[data-action="{action}"][data-id="{ident}"]').click()
        self.snap(name)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def sign_out(self):
        self.find("button[data-action=sign-out]").click()
        assert "/console/sign-in" in self.driver.current_url
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
    op.sign_out()


def manager_blackout_cancels(admin, booker):
    lcms = resource_named(admin, "Orbitrap high-resolution LC-MS", "SH")
    slot = free_slots(booker, lcms["id"], 60)[0]["start"]
    victim = book(booker, lcms["id"], slot, later(slot, 60), "LC-MS of a natural extract")
    assert victim["state"] == "confirmed", victim

    mgr = User("manager@fudan.demo.test")
    mgr.sign_in(lang="en")
    mgr.open("/console/resources", "manager-resources")
    mgr.find(f'a[data-action="blackouts"][data-id="{lcms["id"]}"]').click()
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
    mgr.sign_out()


def fill(user, field, when):
    """Types a local time into a datetime-local field as a keyboard would."""
    box = user.find(f"input[name={field}]")
    user.driver.execute_script("arguments[0].value = arguments[1]", box, when.strftime("%Y-%m-%dT%H:%M"))


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
    me.find("button[data-action=search]").click()
    me.snap("booker-search-results")
    me.find(f'a[data-action="quote"][data-id="{nanjing["id"]}"]').click()
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
    me.sign_out()
    return voucher["id"]


def issuer_suspends(voucher_id):
    issuer = User("issuer@js.demo.test")
    issuer.sign_in()
    issuer.open("/console/vouchers", "issuer-vouchers")
    issuer.find(f'#suspend-reason-{voucher_id}').send_keys("Audit of the grant")
    issuer.act("suspend", voucher_id, "issuer-suspended")
    card = issuer.find(f'[data-voucher="{voucher_id}"]')
    assert card.get_attribute("data-status") == "suspended", card.text
    assert "已暂停" in card.text, card.text  # the issuer reads Chinese
    assert issuer.driver.find_elements(By.CSS_SELECTOR, f'button[data-action="reinstate"][data-id="{voucher_id}"]')
    issuer.sign_out()


def main():
    os.makedirs(SHOTS, exist_ok=True)
    admin, booker = token("admin@demo.test"), token("booker@acme.demo.test")
    operator_approves_one_of_two(admin, booker)
    manager_blackout_cancels(admin, booker)
    voucher = booker_books_with_voucher(admin, booker)
    issuer_suspends(voucher)
    print(f"console: 4 scenarios passed; {User.shot} screenshots in {SHOTS}")


if __name__ == "__main__":
    main()
