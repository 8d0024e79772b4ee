import { test, expect, signIn, Page } from "./helpers";
import type { TestInfo } from "@playwright/test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/**
 * Webhooks as one story per project: an owner adds an endpoint (a bad URL first), reveals its
 * secret, sends a test event that a local receiver verifies with the official Standard Webhooks
 * library, triggers a backfill and sees its backfill.completed delivered, filters the delivery
 * log, reads a failed attempt's response and resends it, rotates the secret and sees both
 * signatures accepted; a viewer cannot edit; another organization reaches none of it.
 *
 * Each project has its own endpoints (their URLs name the project) in Acme's production
 * environment; the other spec files never look at webhooks.
 */
test.describe.configure({ mode: "serial" });

type Arrival = { path: string; id: string; type: string; verifiedWith: number[] };

/** A receiver on loopback that verifies every request with each secret it was given. */
class Receiver {
  secrets: string[] = [];
  failing = new Set<string>();
  got: Arrival[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const verifiedWith = this.secrets
        .map((s, i) => {
          try {
            new Webhook(s).verify(body, headers);
            return i;
          } catch {
            return -1;
          }
        })
        .filter((i) => i >= 0);
      let type = "";
      try {
        type = JSON.parse(body).type;
      } catch {}
      const path = (req.url ?? "/").slice(1);
      this.got.push({ path, id: headers["webhook-id"] ?? "", type, verifiedWith });
      if (this.failing.has(path)) {
        res.writeHead(500, { "content-type": "text/plain" }).end("receiver says no");
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      }
    });
  });
  async start() {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
  }
  url(path: string) {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${path}`;
  }
  stop() {
    this.server.close();
  }
  verified(path: string, type: string) {
    return this.got.filter((a) => a.path === path && a.type === type && a.verifiedWith.length > 0);
  }
}

const receiver = new Receiver();
/** The endpoint created by the story, per project. */
let endpointUrl = "";
let endpointId = "";

test.beforeAll(async () => {
  await receiver.start();
});
test.afterAll(() => receiver.stop());

const js = (t: TestInfo) => t.project.name === "js";

/** Reloads (without JavaScript a page is a snapshot) until `check` passes. */
async function eventually(page: Page, check: () => Promise<void>, timeout = 60_000) {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout });
}

async function revealSecret(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Reveal" }).click();
  const secret = page.getByTestId("secret");
  await expect(secret).toContainText("whsec_");
  return (await secret.innerText()).trim();
}

test("an owner adds an endpoint, is told why a bad URL is refused, and sends a verified test event", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/webhooks");
  await expect(page.getByTestId("endpoints")).toBeVisible();
  await page.getByRole("link", { name: /Add production endpoint/ }).click();
  await page.getByLabel("URL").fill("ftp://hooks.example.com/in");
  await page.getByLabel("Description").fill(`e2e ${testInfo.project.name}`);
  await page.getByLabel("All events, including types added later").check();
  await page.getByRole("button", { name: "Save endpoint" }).click();
  await expect(page.getByTestId("form-error")).toContainText("URL:");
  await expect(page.getByTestId("form-error")).toContainText("ftp://");
  // What was typed is still there.
  await expect(page.getByLabel("Description")).toHaveValue(`e2e ${testInfo.project.name}`);

  endpointUrl = receiver.url(`${testInfo.project.name}-main`);
  await page.getByLabel("URL").fill(endpointUrl);
  await page.getByLabel("All events, including types added later").check();
  await page.getByRole("button", { name: "Save endpoint" }).click();
  await expect(page).toHaveURL(/\/webhooks\/ep_/);
  endpointId = page.url().split("/").pop()!.split("?")[0];
  await expect(page.getByTestId("endpoint-state")).toContainText("Enabled");

  receiver.secrets.push(await revealSecret(page));
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Delivered: HTTP 200");
  expect(receiver.verified(`${testInfo.project.name}-main`, "webhook.test").length).toBeGreaterThan(0);

  // The list shows it with its state and numbers.
  await page.goto("/webhooks");
  const row = page.locator(`tr[data-endpoint-id="${endpointId}"]`);
  await expect(row).toContainText(endpointUrl);
  await expect(row).toContainText("All events");
  await expect(row).toContainText("Enabled");
});

test("a backfill's backfill.completed is delivered and the log filters by type and connection", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  await signIn(page, "owner@acme.test");
  await page.goto("/connections?platform=xero&status=healthy");
  await page.getByTestId("connections-table").locator("tbody tr a").first().click();
  const connection = page.url().split("/").pop()!.split("?")[0];
  await page.goto(`/backfills/new?connection=${connection}&review=1&range=30d&object=accounts`);
  await page.getByRole("button", { name: "Queue 1 run" }).click();
  await expect(page).toHaveURL(/\/backfills\/bf_/);
  const path = `${testInfo.project.name}-main`;
  await expect(() => expect(receiver.verified(path, "backfill.completed").length).toBeGreaterThan(0)).toPass({ timeout: 120_000 });

  // The delivery log, filtered by event type and connection, shows the run's sync.completed.
  await page.goto(`/webhooks/deliveries?endpoint=${endpointId}`);
  await page.getByLabel("sync.completed").check();
  await page.getByLabel("Connection ID").fill(connection);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/type=sync.completed/);
  const rows = page.getByTestId("deliveries").locator("tbody tr[data-delivery-id]");
  await eventually(page, async () => {
    await expect(rows.first()).toBeVisible({ timeout: 1_000 });
  });
  for (const text of await rows.allInnerTexts()) {
    expect(text).toContain("sync.completed");
    expect(text).toContain(connection);
  }
  // By type alone, the backfill.completed delivery is there and delivered.
  await page.goto(`/webhooks/deliveries?endpoint=${endpointId}&type=backfill.completed`);
  await eventually(page, async () => {
    await expect(rows.first()).toContainText("delivered", { timeout: 1_000 });
  });
  // The connection's Webhooks tab shows its deliveries too.
  await page.goto(`/connections/${connection}?tab=webhooks`);
  await expect(page.getByTestId("deliveries")).toContainText("sync.completed");
});

test("a failed attempt's response is readable, and a resend delivers it", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, "admin@acme.test");
  const failing = `${testInfo.project.name}-failing`;
  receiver.failing.add(failing);
  await page.goto("/webhooks/new");
  await page.getByLabel("URL").fill(receiver.url(failing));
  await page.getByLabel("webhook.test").check();
  await page.getByRole("button", { name: "Save endpoint" }).click();
  await expect(page).toHaveURL(/\/webhooks\/ep_/);
  receiver.secrets.push(await revealSecret(page));
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Failed: HTTP 500");
  await page.getByTestId("test-result").getByRole("link", { name: "Open the delivery" }).click();
  await expect(page).toHaveURL(/\/webhooks\/deliveries\/dlv_/);
  await expect(page.getByTestId("delivery-payload")).toContainText('"type": "webhook.test"');
  await expect(page.getByTestId("delivery-headers")).toContainText("webhook-signature");
  const attempts = page.getByTestId("attempts");
  await expect(attempts).toContainText("HTTP 500");
  await attempts.getByText("Response body").click();
  await expect(attempts).toContainText("receiver says no");

  receiver.failing.delete(failing);
  // The delivery page was opened by a full page load: with JavaScript, click once it is hydrated
  // (a click in the middle of hydration can be lost), without it the form posts natively.
  if (testInfo.project.name === "js") await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
  await page.getByRole("button", { name: "Resend now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Queued for an attempt now" })).toBeVisible();
  await eventually(page, async () => {
    await expect(page.getByTestId("delivery-summary")).toContainText("delivered", { timeout: 1_000 });
  });
  await expect(attempts).toContainText("HTTP 200");
  expect(receiver.verified(failing, "webhook.test").length).toBeGreaterThan(0);
});

test("after a rotation both the old and the new secret verify", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto(`/webhooks/${endpointId}`);
  const old = await revealSecret(page);
  await page.getByText("Rotate…").click();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await expect(page.getByTestId("rotation-note")).toContainText("previous secret also signs");
  const fresh = await revealSecret(page);
  expect(fresh).not.toEqual(old);
  receiver.secrets = [old, fresh];
  const path = `${testInfo.project.name}-main`;
  const before = receiver.got.length;
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByTestId("test-result")).toContainText("Delivered: HTTP 200");
  const last = receiver.got.slice(before).filter((a) => a.path === path && a.type === "webhook.test").pop()!;
  expect(last.verifiedWith).toEqual([0, 1]);
});

test("a viewer reads webhooks but cannot change them", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await page.goto("/webhooks");
  await expect(page.getByTestId("read-only-note")).toContainText("Viewers");
  await expect(page.getByRole("link", { name: /Add .* endpoint/ })).toHaveCount(0);
  await page.goto(`/webhooks/${endpointId}`);
  await expect(page.getByRole("link", { name: "Edit" })).toHaveCount(0);
  await expect(page.getByTestId("secret-hidden")).toContainText("Only owners and admins");
  await page.goto(`/webhooks/${endpointId}/edit`);
  await expect(page.getByRole("button", { name: "Save endpoint" })).toBeDisabled();
});

test("another organization's endpoint and deliveries are not reachable", async ({ page, request }) => {
  await signIn(page, "owner@globex.test");
  await page.goto(`/webhooks/${endpointId}`);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await page.goto(`/webhooks/deliveries?endpoint=${endpointId}`);
  await expect(page.getByRole("alert")).toContainText("was found in your organization");
  await expect(page.getByText(endpointUrl)).toHaveCount(0);
  // The server function answers the same, whatever the page does.
  const cookies = await page.context().cookies();
  const res = await request.get(`/api/get_webhook_endpoint?id=${endpointId}`, {
    headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join("; ") },
  });
  expect(res.status()).toBe(404);
  expect(await res.text()).not.toContain(endpointUrl);
});

test("an endpoint that fails everything says so, with the cause, and 'failed' finds its deliveries' state", async ({ page }) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/webhooks");
  const row = page.locator("tr").filter({ hasText: "billing.acme.example" });
  await expect(row).toContainText("Enabled · failing");
  await row.getByRole("link").first().click();
  await expect(page.getByTestId("endpoint-state")).toHaveText("Enabled · failing");
  await expect(page.getByTestId("last-failure")).toContainText("Last attempt failed");
  // The status filter says what each state means, so a delivery being retried is found.
  await page.goto("/webhooks/deliveries");
  await expect(page.getByLabel("Status").locator("option", { hasText: "Retrying: last attempt failed, will retry" })).toHaveCount(1);
});
