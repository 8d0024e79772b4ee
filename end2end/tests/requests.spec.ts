import { test, expect, Page, signIn, expectNoSideScroll } from "./helpers";

const table = (page: Page) => page.getByTestId("request-table");
const rows = (page: Page) => table(page).locator("tbody tr");

async function columnTexts(page: Page, col: number): Promise<string[]> {
  return (await rows(page).locator(`td:nth-child(${col})`).allInnerTexts()).map((s) => s.trim());
}

/** Waits until the list shows the filter `key` as applied (with JavaScript the URL changes first). */
async function applied(page: Page, key: string) {
  await expect(page.locator(`[data-filter="${key}"]`)).toBeVisible();
}

async function firstRequestId(page: Page): Promise<string> {
  return (await rows(page).first().getAttribute("data-request-id"))!;
}

test.beforeEach(async ({ page }) => {
  await signIn(page, "dev@acme.test");
});

test("the list shows the newest requests with every column", async ({ page }) => {
  await page.goto("/requests");
  await expect(rows(page)).toHaveCount(50);
  const first = rows(page).first();
  await expect(first.locator("time")).toHaveAttribute("title", /\d{4}|\d{1,2}:\d{2}/);
  await expect(first.locator("td").nth(1)).toContainText(/^(GET|POST|PATCH|DELETE|PUT)/);
  const id = await firstRequestId(page);
  expect(id).toMatch(/^req_[0-9a-z]{26}$/);
  // Newest first: ids are time-sortable.
  const ids = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-request-id")!));
  expect([...ids].sort().reverse()).toEqual(ids);
});

test("filter by status class, then add a method: the view is in the URL and each filter clears in one click", async ({ page }) => {
  await page.goto("/requests");
  await page.getByLabel("Status", { exact: true }).selectOption("5xx");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/status=5xx/);
  await applied(page, "status");
  for (const s of await columnTexts(page, 3)) expect(s).toMatch(/^5\d\d$/);

  await page.getByLabel("Method", { exact: true }).selectOption("GET");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/method=GET/);
  await expect(page).toHaveURL(/status=5xx/);
  await applied(page, "method");
  for (const s of await columnTexts(page, 3)) expect(s).toMatch(/^5\d\d$/);
  for (const s of await columnTexts(page, 2)) expect(s).toMatch(/^GET/);
  const firstId = await firstRequestId(page);

  // Pasting the URL reproduces the view.
  const url = page.url();
  await page.goto("/");
  await page.goto(url);
  expect(await firstRequestId(page)).toBe(firstId);

  await page.getByRole("link", { name: "Clear Method filter" }).click();
  await expect(page).not.toHaveURL(/method=/);
  await expect(page).toHaveURL(/status=5xx/);
  await expect(page.locator('[data-filter="method"]')).toHaveCount(0);
  await page.getByRole("link", { name: "Clear all" }).click();
  await expect(page).toHaveURL(/\/requests$/);
});

const single: [string, string, (row: string[]) => void][] = [
  ["status=429", "exact status", (r) => expect(r[2]).toBe("429")],
  ["error_code=rate-limited", "error code", (r) => expect(r[3]).toBe("rate-limited")],
  ["method=POST", "method", (r) => expect(r[1]).toMatch(/^POST/)],
  ["path=/accounting/invoices", "path prefix", (r) => expect(r[1]).toMatch(/\/accounting\/invoices/)],
  ["platform=stripe", "platform", (r) => expect(r[4]).toContain("Stripe")],
  ["status=4xx&platform=xero&method=POST", "a combination", (r) => {
    expect(r[2]).toMatch(/^4\d\d$/);
    expect(r[4]).toContain("Xero");
    expect(r[1]).toMatch(/^POST/);
  }],
];

for (const [qs, what, check] of single) {
  test(`filter by ${what}`, async ({ page }) => {
    await page.goto(`/requests?${qs}`);
    await expect(rows(page).first()).toBeVisible();
    const all = await rows(page).evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => (td as HTMLElement).innerText.trim())));
    expect(all.length).toBeGreaterThan(0);
    for (const r of all) check(r);
    await expect(page.getByTestId("active-filters")).toBeVisible();
  });
}

test("filter by connection picked by name, and by time range", async ({ page }) => {
  await page.goto("/requests");
  const select = page.getByLabel("Connection", { exact: true });
  const option = select.locator("option", { hasText: "Bluebird Bakery" }).first();
  const connId = await option.getAttribute("value");
  await select.selectOption(connId!);
  await page.getByLabel("Time", { exact: true }).selectOption("7d");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(new RegExp(`connection=${connId}`));
  await expect(page).toHaveURL(/range=7d/);
  await applied(page, "connection");
  await applied(page, "range");
  for (const c of await columnTexts(page, 5)) expect(c).toContain("Bluebird Bakery");
  const times = await rows(page).locator("time").evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute("datetime")!)));
  for (const t of times) expect(Date.now() - t).toBeLessThan(7 * 86400_000 + 60_000);
});

test("filter by request ID finds exactly that request", async ({ page }) => {
  await page.goto("/requests?status=404");
  const id = await firstRequestId(page);
  await page.goto("/requests");
  await page.getByLabel("Request ID", { exact: true }).fill(` "${id}" `);
  await page.getByRole("button", { name: "Apply filters" }).click();
  await applied(page, "request_id");
  await expect(rows(page)).toHaveCount(1);
  expect(await firstRequestId(page)).toBe(id);
});

test("page older and back to newer with the cursor", async ({ page }) => {
  await page.goto("/requests?status=2xx");
  const first = () => rows(page).first();
  const page1 = await firstRequestId(page);
  await page.getByRole("link", { name: "Older \u2192" }).click();
  await expect(page).toHaveURL(/before=req_/);
  await expect(page).toHaveURL(/status=2xx/);
  await expect(first()).not.toHaveAttribute("data-request-id", page1);
  const page2 = await firstRequestId(page);
  expect(page2 < page1).toBe(true);
  await page.getByRole("link", { name: "Older \u2192" }).click();
  await expect(first()).not.toHaveAttribute("data-request-id", page2);
  const page3 = await firstRequestId(page);
  expect(page3 < page2).toBe(true);
  await page.getByRole("link", { name: "\u2190 Newer" }).click();
  await expect(page).toHaveURL(/after=req_/);
  await expect(first()).toHaveAttribute("data-request-id", page2);
  await page.getByRole("link", { name: "\u2190 Newer" }).click();
  await expect(first()).toHaveAttribute("data-request-id", page1);
  await expect(page.getByText("\u2190 Newer", { exact: true })).not.toHaveAttribute("href");
});

test("an empty result says which filters produced it and offers to clear them", async ({ page }) => {
  await page.goto("/requests?path=/no/such/path&method=DELETE");
  const empty = page.getByTestId("empty-state");
  await expect(empty).toContainText(/No request in the last \d+ days matches these filters: Method DELETE, Path \/no\/such\/path\./);
  await empty.getByRole("link", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(/\/requests$/);
  await expect(rows(page)).toHaveCount(50);
});

const bad: [string, string][] = [
  ["request_id=req_123", "\u201creq_123\u201d is not a request ID"],
  ["error_code=teapot", "Unknown error code \u201cteapot\u201d"],
  ["from=2026-11-21T10:00&to=2026-11-20T10:00", "The start of the time range (from) is after its end (to)"],
  ["before=garbage", "The page cursor in this link is not valid"],
  ["status=999", "Status \u201c999\u201d is not valid"],
  ["path=no-slash", "is not a path prefix"],
];
for (const [qs, message] of bad) {
  test(`bad input gets a clear message: ${qs}`, async ({ page }) => {
    const res = await page.goto(`/requests?${qs}`);
    expect(res?.status()).toBe(200);
    await expect(page.getByTestId("filter-error")).toContainText(message);
    // The filter form stays usable.
    await expect(page.getByRole("button", { name: "Apply filters" })).toBeVisible();
  });
}

test("a failed request shows its code, the raw platform error and the next step", async ({ page }) => {
  await page.goto("/requests?status=429");
  await rows(page).first().locator("a").first().click();
  await expect(page).toHaveURL(/\/requests\/req_/);
  const block = page.getByTestId("error-block");
  await expect(block.getByTestId("error-code")).toHaveText("rate-limited");
  await expect(block.getByTestId("platform-error")).not.toBeEmpty();
  await expect(block.getByTestId("next-step")).toContainText("Back off");
  await expect(page.getByTestId("upstream-calls").locator("li")).toHaveCount(2);
  await expect(page.getByTestId("request-headers")).toContainText("[REDACTED]");
  // The absolute time in UTC stands beside the relative one, and both are the same instant.
  const utc = await page.getByTestId("request-time-utc").innerText();
  expect(utc).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  const iso = await page.getByTestId("request-time-utc").locator("xpath=..").locator("time").getAttribute("datetime");
  expect(new Date(iso!).toISOString().slice(0, 19).replace("T", " ") + " UTC").toBe(utc);

  await page.goto("/requests?status=401");
  await rows(page).first().locator("a").first().click();
  await expect(page.getByTestId("next-step")).toContainText("reconnect");

  // A missing field the raw error names is named in the next step.
  await page.goto("/requests?error_code=missing-params");
  const missing = await rows(page).locator("td:nth-child(2) a").evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
  let named = false;
  for (const href of missing.slice(0, 20)) {
    await page.goto(href);
    if (await page.getByTestId("error-field").count()) {
      const field = await page.getByTestId("error-field").innerText();
      await expect(page.getByTestId("next-step")).toContainText(`Field ${field}:`);
      named = true;
      break;
    }
  }
  expect(named).toBe(true);
  await page.getByTestId("around-link").click();
  await expect(page).toHaveURL(/connection=conn_.*from=.*to=/);
  await expect(rows(page).first()).toBeVisible();
});

test("the request page shows what the classifier read in the raw error", async ({ page }) => {
  await page.goto("/requests?error_code=record-already-exists");
  await rows(page).first().locator("a").first().click();
  await expect(page.getByTestId("error-code")).toHaveText("record-already-exists");
  await expect(page.getByTestId("error-cause")).toHaveText("Duplicate record");
  await expect(page.getByTestId("error-rule")).toHaveText(/^[a-z_]+\.[a-z_]+\./);
  // The demo's data plane leaves the mapping to the classifier: nothing to disagree with.
  await expect(page.getByTestId("classifier-disagrees")).toHaveCount(0);
  await expect(page.getByTestId("platform-error")).not.toBeEmpty();
  // Each failed upstream attempt is read too; the last one is the request's error.
  await expect(page.getByTestId("call-reading").last()).toContainText("record-already-exists");
});

test("platform data explains why a normalized field is null", async ({ page }) => {
  await page.goto("/requests?method=GET&status=200");
  const links = await rows(page).locator("td:nth-child(2) a").evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
  let found = false;
  for (const href of links.slice(0, 40)) {
    await page.goto(href);
    const reasons = page.getByTestId("null-reason");
    if ((await page.getByTestId("platform-data").count()) && (await reasons.count())) {
      await expect(reasons.first()).toHaveText(/(did not send the source field|sent .*, but empty|does not support this field)/);
      found = true;
      break;
    }
  }
  expect(found).toBe(true);
});

test("the global search opens a pasted request ID in one step", async ({ page }) => {
  await page.goto("/requests?status=503");
  const id = await firstRequestId(page);
  await page.goto("/");
  await page.getByLabel("Find a request or connection by ID").fill(`  '${id}'\n`);
  await page.getByLabel("Find a request or connection by ID").press("Enter");
  await expect(page).toHaveURL(new RegExp(`/requests/${id}$`));
  await expect(page.getByTestId("error-code")).toHaveText("platform-unavailable");
});

test("a customer cannot open another organization's request, by URL or by search", async ({ browser, page }) => {
  const globex = await browser.newPage();
  await signIn(globex, "owner@globex.test");
  await globex.goto("/requests");
  const foreign = await firstRequestId(globex);
  await globex.close();

  const res = await page.goto(`/requests/${foreign}`);
  expect(res?.status()).toBe(404);
  await expect(page.getByText(`No request ${foreign} was found in your organization.`)).toBeVisible();
  // Same answer as for an ID that does not exist.
  const missing = "req_01aaaaaaaaaaaaaaaaaaaaaaaa";
  await page.goto(`/requests/${missing}`);
  await expect(page.getByText(`No request ${missing} was found in your organization.`)).toBeVisible();
  await page.getByLabel("Find a request or connection by ID").fill(foreign);
  await page.getByLabel("Find a request or connection by ID").press("Enter");
  await expect(page.getByText(`No request ${foreign} was found in your organization.`)).toBeVisible();
});

test("staff find a request in any organization", async ({ browser }) => {
  const globex = await browser.newPage();
  await signIn(globex, "owner@globex.test");
  await globex.goto("/requests");
  const foreign = await firstRequestId(globex);
  await globex.close();

  const staff = await browser.newPage();
  await signIn(staff, "support@switchboard.test");
  await staff.getByLabel("Find a request or connection by ID").fill(foreign);
  await staff.getByLabel("Find a request or connection by ID").press("Enter");
  await expect(staff.getByTestId("staff-banner")).toContainText("Globex Corporation");
  await expect(staff.getByTestId("request-summary")).toBeVisible();
  await staff.close();
});

test("a malformed request ID in the URL gets a clear message", async ({ page }) => {
  await page.goto("/requests/req_nope");
  await expect(page.getByRole("alert")).toContainText("\u201creq_nope\u201d is not a request ID");
});

test("with JavaScript on, applying filters updates the list without a full reload", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name === "no-js", "needs JavaScript");
  await page.goto("/requests");
  await page.waitForFunction(() => !document.querySelector("button.hidden[aria-label='Copy request ID']"));
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByLabel("Status", { exact: true }).selectOption("4xx");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/status=4xx/);
  await applied(page, "status");
  for (const s of await columnTexts(page, 3)) expect(s).toMatch(/^4\d\d$/);
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test("with JavaScript on, the list says it is updating while new filters load, and keeps the old rows meanwhile", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name === "no-js", "needs JavaScript");
  await page.goto("/requests");
  await page.waitForFunction(() => !document.querySelector("button.hidden[aria-label='Copy request ID']"));
  const before = await rows(page).first().getAttribute("data-request-id");
  // Hold the list's server function until the old rows have been checked.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/list_request_logs*", async (route) => {
    await gate;
    await route.continue();
  });
  await page.getByLabel("Status", { exact: true }).selectOption("5xx");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByTestId("updating")).toHaveText("Updating\u2026");
  await expect(rows(page).first()).toHaveAttribute("data-request-id", before!);
  release();
  await expect(page.getByTestId("updating")).toHaveText("");
  await applied(page, "status");
  for (const s of await columnTexts(page, 3)) expect(s).toMatch(/^5\d\d$/);
});

test("on a phone the filters fold behind a button, and the table keeps status and error code in view", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/requests?status=4xx");
  const form = page.getByRole("form", { name: "Filter requests" });
  await expect(form).toBeHidden();
  const panel = page.getByTestId("filter-panel");
  await expect(panel.locator("summary")).toHaveText(/Filters \(1 active\)/);
  await panel.locator("summary").click();
  await expect(form).toBeVisible();
  await page.getByLabel("Method").selectOption("GET");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/method=GET/);
  const first = page.getByTestId("request-table").locator("tbody tr").first();
  await expect(first).toBeVisible();
  // Status and error code are in view without scrolling the table sideways.
  const compact = first.getByTestId("row-status-compact");
  await expect(compact).toHaveText(/^\s*4\d\d/);
  await compact.scrollIntoViewIfNeeded();
  // Within the screen's width: no sideways scrolling of the table to read them.
  const box = (await compact.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await expectNoSideScroll(page, "requests");
  await page.screenshot({ path: `test-results/requests-phone-${test.info().project.name}.png`, fullPage: false });
});

test("at desktop width the filters are open without a button", async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto("/requests");
  await expect(page.getByRole("form", { name: "Filter requests" })).toBeVisible();
  await expect(page.getByTestId("filter-panel").locator("summary")).toBeHidden();
});
