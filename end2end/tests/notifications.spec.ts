import { test, expect, signIn, Page, expectNoSideScroll } from "./helpers";
import type { TestInfo } from "@playwright/test";

/**
 * Alert settings, with JavaScript on and off: an owner saves email recipients and a Slack
 * webhook, a refused value is named and what was typed stays, a test message arrives at the
 * local SMTP sink and Slack receiver (`end2end/sinks.mjs`, started by `scripts/test.sh`) and its
 * history says it was sent; a developer reads the settings but cannot change them; the page reads
 * on a phone.
 *
 * The two projects run at once, so each works in its own organization (Acme with JavaScript,
 * Globex without) and with its own recipient.
 */
test.describe.configure({ mode: "serial" });

const SINKS = process.env.SINK_URL ?? "";
const js = (t: TestInfo) => t.project.name === "js";
const ownerFor = (t: TestInfo) => (js(t) ? "owner@acme.test" : "owner@globex.test");

/** With JavaScript, waits until the page is hydrated: a click in the middle of it can be lost. */
async function ready(page: Page, t: TestInfo) {
  if (js(t)) await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
}

async function messages(page: Page): Promise<{ emails: { to: string[]; text: string }[]; slack: { path: string; body: any }[] }> {
  const res = await page.request.get(`${SINKS}/messages`);
  return res.json();
}

test("an owner saves where alerts go and a test message arrives", async ({ page }, testInfo) => {
  test.skip(!SINKS, "SINK_URL is not set: run through scripts/test.sh, which starts the local sinks");
  const tag = `${testInfo.project.name}${Date.now()}`;
  const recipient = `oncall-${tag}@example.com`;
  await signIn(page, ownerFor(testInfo));
  await page.goto("/settings/notifications");
  await expect(page.getByRole("heading", { name: "Notifications" })).toBeVisible();
  await ready(page, testInfo);
  // This server has an SMTP server (the sink), so nothing says email is missing.
  await expect(page.getByTestId("email-not-set-up")).toHaveCount(0);

  // A bad address is named and what was typed stays.
  await page.getByLabel("Email recipients").fill(`${recipient}, not-an-address`);
  await page.getByTestId("save-notifications").click();
  await expect(page.getByTestId("form-error")).toContainText("not-an-address");
  await expect(page.getByLabel("Email recipients")).toHaveValue(new RegExp(recipient));

  await page.getByLabel("Email recipients").fill(recipient);
  await page.getByLabel("Slack incoming webhook URL").fill(`${SINKS}/slack/T000/B000/${tag}`);
  await page.getByRole("checkbox", { name: "warning" }).check();
  await page.getByTestId("save-notifications").click();
  await expect(page.getByTestId("saved")).toBeVisible();
  await page.reload();
  await ready(page, testInfo);
  await expect(page.getByLabel("Email recipients")).toHaveValue(recipient);
  // The Slack URL is never shown again: only its host and last characters.
  await expect(page.getByTestId("slack-saved")).toContainText("Saved: http://127.0.0.1");
  await expect(page.locator("body")).not.toContainText(`B000/${tag}`);
  await expect(page.getByRole("checkbox", { name: "warning" })).toBeChecked();

  await page.getByTestId("send-test").click();
  await expect(page.getByTestId("tested")).toContainText("email and slack");
  // The message arrives at both sinks.
  await expect
    .poll(async () => {
      const m = await messages(page);
      return [
        m.emails.some((e) => e.to.includes(recipient) && e.text.includes("Test notification")),
        m.slack.some((s) => s.path.endsWith(tag) && String(s.body?.text).includes("Test notification")),
      ];
    }, { timeout: 20_000 })
    .toEqual([true, true]);
  // And the history says so.
  await expect
    .poll(async () => {
      await page.reload();
      return page.getByTestId("notification-row").filter({ hasText: "Test message" }).evaluateAll((rows) =>
        rows.slice(0, 2).map((r) => r.getAttribute("data-status")),
      );
    }, { timeout: 20_000 })
    .toEqual(["sent", "sent"]);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByTestId("notification-history")).toBeAttached();
  await expectNoSideScroll(page, "notifications");
  await page.screenshot({ path: testInfo.outputPath(`notifications-390-${testInfo.project.name}.png`), fullPage: true });
});

test("a developer reads the alert settings but cannot change them", async ({ page }, testInfo) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/settings/notifications");
  await expect(page.getByTestId("read-only-note")).toContainText("owners and admins");
  await expect(page.getByTestId("save-notifications")).toBeDisabled();
  await expect(page.getByTestId("send-test")).toBeDisabled();
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.screenshot({ path: testInfo.outputPath(`notifications-1366-${testInfo.project.name}.png`), fullPage: true });
});
