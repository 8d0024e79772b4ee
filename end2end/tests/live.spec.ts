import { test, expect, signIn, createKey, requestId, axeViolations, expectNoSideScroll } from "./helpers";
import type { APIRequestContext, TestInfo } from "@playwright/test";

/**
 * The request log's live tail: new requests appear above the rows without moving a reader who
 * has scrolled (they wait behind a button), the tail stops after 10 minutes without
 * interaction and says so, and without JavaScript the toggle is a link that reloads.
 */

async function ingest(request: APIRequestContext, key: string, path: string): Promise<string> {
  const id = requestId();
  const sent = await request.post("/api/v1/ingest/request-logs", {
    headers: { Authorization: `Bearer ${key}` },
    // As a data plane sends it: the customer's key in the Authorization header (stored redacted;
    // other tests open the newest request and expect that).
    data: {
      items: [
        {
          id,
          occurred_at: new Date().toISOString(),
          method: "GET",
          path,
          status: 200,
          latency_ms: 42,
          request_headers: { Authorization: `Bearer sk_live_live${Date.now()}tail`, Accept: "application/json" },
        },
      ],
    },
  });
  expect(sent.status()).toBe(200);
  expect((await sent.json()).accepted).toBe(1);
  return id;
}

test("new requests stream in at the top without moving a reader who has scrolled", async ({ page, request }, testInfo: TestInfo) => {
  test.skip(testInfo.project.use.javaScriptEnabled === false, "streaming needs JavaScript; the link is tested below");
  // Many steps (a key made in the settings page, an accessibility scan, two ingests): about 25 s
  // on a busy 2-core machine, so the default 30 s left no margin.
  test.setTimeout(60_000);
  // The page's timers run on a clock the test moves, so "10 minutes idle" takes no time.
  await page.clock.install();
  await signIn(page, "owner@acme.test");
  const key = await createKey(page, `live-${Date.now()}`, "ingest");
  await page.goto("/requests");
  const firstBefore = await page.locator("[data-testid=request-table] tbody tr").first().getAttribute("data-request-id");
  await page.getByTestId("live-toggle").click();
  await expect(page).toHaveURL(/live=1/);
  await expect(page.getByTestId("live-status")).toHaveText("New requests matching these filters appear at the top.");
  expect(await axeViolations(page)).toEqual([]);

  // At the top of the table: the new request goes straight in, above the page's rows.
  const first = await ingest(request, key, "/accounting/invoices/live_e2e_1");
  const arrived = page.locator(`tr[data-request-id="${first}"]`);
  await expect(arrived).toBeVisible({ timeout: 5_000 });
  const old = page.locator(`tr[data-request-id="${firstBefore}"]`);
  expect((await arrived.boundingBox())!.y).toBeLessThan((await old.boundingBox())!.y);
  await page.screenshot({ path: testInfo.outputPath("live-1366.png") });

  // Scrolled into the table: a new request waits behind a button; nothing the reader sees moves.
  const anchorId = await page.locator("[data-testid=request-table] tbody tr").nth(30).getAttribute("data-request-id");
  const anchor = page.locator(`tr[data-request-id="${anchorId}"]`);
  await anchor.scrollIntoViewIfNeeded();
  await page.mouse.wheel(0, 200);
  await expect.poll(async () => (await page.locator("[data-testid=request-table]").boundingBox())!.y).toBeLessThan(0);
  const y0 = (await anchor.boundingBox())!.y;
  const second = await ingest(request, key, "/accounting/invoices/live_e2e_2");
  const waiting = page.getByTestId("live-waiting");
  await expect(waiting).toHaveText(/^\d+ new requests?$/, { timeout: 5_000 });
  await expect(page.locator(`tr[data-request-id="${second}"]`)).toHaveCount(0);
  expect(Math.abs((await anchor.boundingBox())!.y - y0)).toBeLessThanOrEqual(1);
  // The button sits above the table. Playwright's click first scrolls it into view, and a
  // reader back at the top gets the waiting rows without clicking (the page's scroll
  // listener), which detaches the button mid-click; so the click is dispatched where it is.
  await waiting.dispatchEvent("click");
  await expect(page.locator(`tr[data-request-id="${second}"]`)).toBeVisible();
  await expect(waiting).toHaveCount(0);

  // Ten minutes without interaction: the tail stops and says so.
  await page.clock.fastForward("10:05");
  await expect(page.getByTestId("live-status")).toHaveText("Live updates stopped after 10 minutes without interaction.");
  await expect(page.getByTestId("live-resume")).toBeVisible();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await expectNoSideScroll(page, "live");
  await page.screenshot({ path: testInfo.outputPath("live-390.png") });
});

test("without JavaScript the live toggle is a link that reloads the newest requests", async ({ page }, testInfo: TestInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/requests?status=5xx");
  const toggle = page.getByTestId("live-toggle");
  await expect(toggle).toHaveAttribute("href", "/requests?status=5xx&live=1");
  await expect(toggle).toHaveAttribute("data-live", "off");
  await toggle.click();
  await expect(page).toHaveURL(/\/requests\?status=5xx&live=1$/);
  await expect(page.getByTestId("live-toggle")).toHaveAttribute("data-live", "on");
  await expect(page.getByTestId("live-toggle")).toHaveAttribute("href", "/requests?status=5xx");
  if (testInfo.project.use.javaScriptEnabled === false) {
    await expect(page.getByTestId("live-status")).toHaveText("Live updates need JavaScript: reload the page for newer requests.");
  } else {
    await expect(page.getByTestId("live-status")).toHaveText("New requests matching these filters appear at the top.");
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoSideScroll(page, "live");
});
