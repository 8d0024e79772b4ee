import { test, expect, signIn, Page, expectNoSideScroll } from "./helpers";
import type { TestInfo } from "@playwright/test";

/**
 * Issues, with JavaScript on and off: the list's filters live in the URL, an issue shows what
 * happened, what to do, its evidence and its timeline; a developer acknowledges, mutes (a
 * missing reason is named) and resolves one; a viewer reads but cannot act; the connection page
 * and the Overview show open issues first, and a request links the issue it belongs to.
 *
 * Each project works on its own kind of issue in Acme's production environment (the demo has
 * several of each), so the two projects never act on the same one.
 */
test.describe.configure({ mode: "serial" });

const js = (t: TestInfo) => t.project.name === "js";
/** The kind of open issue this project acts on. */
const kindFor = (t: TestInfo) => (js(t) ? "missing_permission" : "object_failing");

async function openFirst(page: Page, query: string) {
  await page.goto(`/issues?${query}`);
  const row = page.getByTestId("issue-row").first();
  await expect(row).toBeVisible();
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/issues\/iss_/);
  return page.url();
}

test("the issues list filters in the URL and reads on a phone", async ({ page }, testInfo) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/issues");
  await expect(page.getByTestId("issue-row").first()).toBeVisible();
  // Unresolved by default: nothing resolved is listed.
  for (const s of await page.getByTestId("issue-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")))) {
    expect(["open", "acknowledged"]).toContain(s);
  }
  await page.getByLabel("Kind").selectOption("credentials");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/kind=credentials/);
  const kinds = await page.getByTestId("issue-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
  expect(kinds.length).toBeGreaterThan(0);
  expect(new Set(kinds)).toEqual(new Set(["credentials"]));
  // A value the list does not offer is named, not ignored.
  await page.goto("/issues?severity=urgent");
  await expect(page.getByRole("alert")).toContainText("urgent");
  // Resolved ones are a filter away.
  await page.goto("/issues?status=resolved");
  await expect(page.getByTestId("issue-row").first()).toHaveAttribute("data-status", "resolved");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/issues");
  await expect(page.getByTestId("issue-row").first()).toBeVisible();
  await expectNoSideScroll(page, "issues");
  await page.screenshot({ path: testInfo.outputPath(`issues-390-${testInfo.project.name}.png`), fullPage: true });
});

test("an issue explains itself and leads to its evidence", async ({ page }, testInfo) => {
  await signIn(page, "dev@acme.test");
  await openFirst(page, `kind=missing_permission`);
  await expect(page.getByTestId("issue-summary")).toContainText("refused");
  await expect(page.getByTestId("issue-next-step")).toContainText("scope");
  await expect(page.getByTestId("issue-resolves-when")).toContainText("a day without a permission error");
  await expect(page.getByTestId("issue-timeline")).toContainText("Opened");
  await expect(page.getByTestId("issue-connections").getByRole("link")).toHaveCount(1);
  await page.screenshot({ path: testInfo.outputPath(`issue-1366-${testInfo.project.name}.png`), fullPage: true });
  // The filtered request log, then the latest request, which links back to its issue.
  const issueUrl = page.url();
  await page.getByTestId("issue-evidence").getByRole("link", { name: "Its refused requests (forbidden)" }).click();
  await expect(page).toHaveURL(/error_code=forbidden/);
  await page.goto(issueUrl);
  await page.getByTestId("issue-evidence").getByRole("link", { name: "The latest request" }).click();
  await expect(page).toHaveURL(/\/requests\/req_/);
  await expect(page.getByTestId("request-issue")).toContainText("Missing permission");
  await page.getByTestId("request-issue").getByRole("link").click();
  await expect(page).toHaveURL(issueUrl);
  // The connection's page shows it at the top.
  await page.getByTestId("issue-connections").getByRole("link").first().click();
  await expect(page.getByTestId("connection-issues").getByTestId("issue-row").first()).toBeVisible();
  // The Overview lists open issues first.
  await page.goto("/");
  await expect(page.getByTestId("overview-issues").getByTestId("issue-row").first()).toBeVisible();
});

test("a developer acknowledges, mutes and resolves an issue", async ({ page }, testInfo) => {
  await signIn(page, "dev@acme.test");
  const url = await openFirst(page, `kind=${kindFor(testInfo)}&status=open`);
  await page.getByTestId("issue-acknowledge").click();
  await expect(page.getByTestId("issue-status")).toContainText("Acknowledged");
  await expect(page.getByTestId("issue-acknowledged")).toContainText("dev@acme.test");

  // A mute without a reason is refused by name, and nothing changes.
  await page.getByTestId("mute-mode").selectOption("worse");
  await page.getByTestId("issue-mute").click();
  await expect(page.getByRole("alert")).toContainText("why");
  await expect(page.getByTestId("issue-status")).toContainText("Acknowledged");
  await page.goto(url);
  await page.getByTestId("mute-mode").selectOption("worse");
  await page.getByTestId("mute-reason").fill("Known: the customer is migrating this week");
  await page.getByTestId("issue-mute").click();
  await expect(page.getByTestId("issue-status")).toContainText("Muted");
  await expect(page.getByTestId("issue-muted")).toContainText("until it reaches");
  await expect(page.getByTestId("issue-timeline")).toContainText("Known: the customer is migrating");

  await page.getByTestId("issue-resolve").click();
  await expect(page.getByTestId("issue-status")).toContainText("Resolved");
  await expect(page.getByTestId("issue-timeline")).toContainText("Resolved by hand");
  await expect(page.getByTestId("issue-reopen")).toBeVisible();
  // Every act is in the audit log, with who did it.
  await signIn(page, "owner@acme.test");
  await page.goto("/settings/audit?action=issue.resolve");
  await expect(page.getByTestId("audit-table")).toContainText("dev@acme.test");
});

test("a viewer reads an issue but cannot change it", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await openFirst(page, "kind=credentials");
  await expect(page.getByTestId("issue-cannot-act")).toContainText("Viewers can read issues");
  await expect(page.getByTestId("issue-acknowledge")).toHaveCount(0);
  await expect(page.getByTestId("issue-mute")).toHaveCount(0);
});
