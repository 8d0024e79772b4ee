import { test, expect, signIn, axeViolations, createKey, requestId, expectNoSideScroll } from "./helpers";
import type { TestInfo } from "@playwright/test";

/**
 * The HTTP API as its users meet it: an owner creates an ingest key for the data plane and a
 * read key for a support script (each shown once), the data plane sends a request log with a
 * secret in it, the support script finds it by request ID, and the console shows it redacted.
 * Also: the API reference page, and the request log's bounded search for rare combinations.
 */

test("the data plane ingests a request log that a support script then finds by request ID", async ({ page, request }, testInfo: TestInfo) => {
  await signIn(page, "owner@acme.test");
  const suffix = `${testInfo.project.name}-${Date.now()}`;
  const ingest = await createKey(page, `data-plane-${suffix}`, "ingest");
  const read = await createKey(page, `support-script-${suffix}`, "read");
  // A failed request is logged with the connection it was for, as the data plane knows it.
  const connections = await request.get("/api/v1/connections?limit=1", { headers: { Authorization: `Bearer ${read}` } });
  const connectionId = (await connections.json()).data[0].id;

  const id = requestId();
  const secret = `sk_live_e2e${Date.now()}secret`;
  const sent = await request.post("/api/v1/ingest/request-logs", {
    headers: { Authorization: `Bearer ${ingest}` },
    data: {
      items: [
        {
          id,
          occurred_at: new Date().toISOString(),
          method: "POST",
          path: "/accounting/invoices",
          query: `access_token=${secret}`,
          status: 400,
          latency_ms: 187,
          connection_id: connectionId,
          request_headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
          request_body: JSON.stringify({ customer: "cus_1", due_date: "2026-13-01" }),
          response_body: JSON.stringify({ error: "invalid due_date" }),
          error: { code: "invalid-params", message: "due_date is not a date", platform_error: { Message: "Invalid date" } },
        },
        { id: "req_not_an_id", occurred_at: new Date().toISOString(), method: "GET", path: "/x", status: 200, latency_ms: 1 },
      ],
    },
  });
  expect(sent.status()).toBe(200);
  const answer = await sent.json();
  expect(answer.accepted).toBe(1);
  expect(answer.rejected).toEqual([expect.objectContaining({ index: 1, field: "id" })]);

  // The wrong scope is refused with the documented error body.
  const wrong = await request.get(`/api/v1/request-logs/${id}`, { headers: { Authorization: `Bearer ${ingest}` } });
  expect(wrong.status()).toBe(403);
  expect((await wrong.json()).error.code).toBe("forbidden");

  const found = await request.get(`/api/v1/request-logs/${id}`, { headers: { Authorization: `Bearer ${read}` } });
  expect(found.status()).toBe(200);
  const log = await found.json();
  expect(log.error.code).toBe("invalid-params");
  expect(JSON.stringify(log)).not.toContain(secret);
  // JSON bodies are JSON values, not strings; the next step is the one the console shows.
  expect(log.request_body.customer).toBe("cus_1");
  expect(log.response_body.error).toBe("invalid due_date");
  expect(typeof log.next_step).toBe("string");

  // The console shows the same request, redacted.
  await page.goto(`/requests/${id}`);
  await expect(page.getByText(`Request ${id}`)).toBeVisible();
  await expect(page.getByTestId("request-headers")).toContainText("Bearer [REDACTED]");
  await expect(page.getByTestId("next-step")).toHaveText(log.next_step);
  await expect(page.locator("body")).not.toContainText(secret);

  // The key's use is recorded on the list.
  await page.goto("/settings/api-keys");
  await expect(page.getByRole("row").filter({ hasText: `support-script-${suffix}` })).not.toContainText("never");
});

test("another organization's read key finds nothing of Acme's", async ({ page, request }, testInfo: TestInfo) => {
  await signIn(page, "owner@acme.test");
  const suffix = `${testInfo.project.name}-${Date.now()}`;
  const acmeRead = await createKey(page, `acme-${suffix}`, "read");
  const list = await request.get("/api/v1/request-logs?limit=1", { headers: { Authorization: `Bearer ${acmeRead}` } });
  const acmeId = (await list.json()).data[0].id;

  await page.context().clearCookies();
  await signIn(page, "owner@globex.test");
  const globexRead = await createKey(page, `globex-${suffix}`, "read");
  const other = await request.get(`/api/v1/request-logs/${acmeId}`, { headers: { Authorization: `Bearer ${globexRead}` } });
  expect(other.status()).toBe(404);
  const body = await other.json();
  expect(body.error.code).toBe("not-found");
  expect(body.error.request_id).toMatch(/^req_/);
});

test("starting a backfill over the API needs a backfills key, not a read key", async ({ page, request }, testInfo: TestInfo) => {
  await signIn(page, "owner@acme.test");
  const suffix = `${testInfo.project.name}-${Date.now()}`;
  const read = await createKey(page, `dashboard-${suffix}`, "read");
  const backfills = await createKey(page, `ops-${suffix}`, "backfills");
  const conns = await (await request.get("/api/v1/connections?limit=50", { headers: { Authorization: `Bearer ${backfills}` } })).json();
  const conn = conns.data.find((c: { status: string }) => c.status === "healthy");
  // An object the connection syncs: its latest run's.
  const runs = await (await request.get(`/api/v1/connections/${conn.id}/sync-runs?limit=1`, { headers: { Authorization: `Bearer ${read}` } })).json();
  const body = { connection_ids: [conn.id], data_objects: [runs.data[0].data_object], range: "last_30_days", reason: `e2e ${suffix}` };
  const refused = await request.post("/api/v1/backfills", { headers: { Authorization: `Bearer ${read}` }, data: body });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.message).toContain("needs a backfills key");
  const made = await request.post("/api/v1/backfills", { headers: { Authorization: `Bearer ${backfills}`, "Idempotency-Key": suffix }, data: body });
  const answer = await made.json();
  expect(made.status(), JSON.stringify(answer)).toBe(201);
  expect(answer.created_by).toMatch(/^API key sb_backfills_/);
  // A read key reads it.
  const got = await request.get(`/api/v1/backfills/${answer.id}`, { headers: { Authorization: `Bearer ${read}` } });
  expect(got.status()).toBe(200);
});

test("a viewer cannot create API keys", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await page.goto("/settings/api-keys");
  await expect(page.getByTestId("admin-only-note")).toBeVisible();
  await expect(page.getByLabel("Scope")).toHaveCount(0);
});

test("the API reference documents every endpoint", async ({ page }, testInfo: TestInfo) => {
  await page.goto("/api/v1/reference");
  await expect(page.getByRole("heading", { name: /Switchboard API/ })).toBeVisible();
  for (const path of ["/api/v1/ingest/request-logs", "/api/v1/request-logs/{id}", "/api/v1/ingest/sync-runs/claim", "/api/v1/webhook-deliveries"]) {
    await expect(page.getByRole("link", { name: new RegExp(path.replace(/[{}/]/g, "\\$&")) }).first()).toBeVisible();
  }
  await expect(page.locator("#schema-RequestLogItem")).toContainText("occurred_at");
  const doc = await (await page.request.get("/api/v1/openapi.json")).json();
  expect(doc.openapi).toBe("3.1.0");
  // The base URL is this console, and every operation has a curl line and an example response.
  const origin = new URL(page.url()).origin;
  await expect(page.getByTestId("base-url")).toHaveText(origin);
  const operations = await page.locator("section[id^='get-'], section[id^='post-']").count();
  expect(operations).toBe(15);
  await expect(page.getByTestId("curl")).toHaveCount(operations);
  await expect(page.getByTestId("example-response")).toHaveCount(operations);
  const backfill = page.locator("#post-_api_v1_backfills");
  await expect(backfill).toContainText("Key scope: backfills");
  await expect(backfill.getByTestId("curl")).toContainText(`curl -sS -X POST "${origin}/api/v1/backfills"`);
  await expect(backfill.getByTestId("curl")).toContainText("$SWITCHBOARD_BACKFILLS_KEY");
  await expect(backfill.getByTestId("example-response")).toContainText('"status": "queued"');
  expect(doc.paths["/api/v1/request-logs/{id}"].get.responses["200"].content["application/json"].example.next_step).toBeTruthy();
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoSideScroll(page, "API reference");
  if (testInfo.project.use.javaScriptEnabled !== false) {
    expect(await axeViolations(page)).toEqual([]);
  }
});

test("a rare combination of filters is answered exactly, however old the match", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  // A request from 40 days back whose path names one record: its combination is rare.
  const day = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
  await page.goto(`/requests?to=${day}`);
  const old = page.locator("tr[data-request-id]").filter({ has: page.locator("span.font-mono", { hasText: /\/[^ ]*\d/ }) }).first();
  await expect(old).toBeVisible();
  const id = await old.getAttribute("data-request-id");
  const method = (await old.locator("a span").first().innerText()).trim();
  const path = (await old.locator("a span").nth(1).innerText()).trim();
  const status = (await old.locator("td").nth(2).innerText()).trim();
  // No time range: the first page finds it, with no "search older" step.
  await page.goto(`/requests?method=${method}&status=${status}&path=${encodeURIComponent(path)}`);
  await expect(page.locator(`tr[data-request-id="${id}"]`)).toBeVisible();
  await expect(page.getByText("Search older requests")).toHaveCount(0);
  // No match at all is said as a fact about everything kept.
  await page.goto("/requests?status=2xx&path=/no/such/path");
  await expect(page.getByTestId("empty-state")).toContainText(/No request in the last \d+ days matches these filters/);
  await expect(page.getByTestId("empty-state")).toContainText("Every request kept was searched");
});
