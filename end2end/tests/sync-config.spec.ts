import { test, expect, signIn, Page } from "./helpers";
import type { Browser, TestInfo } from "@playwright/test";

/**
 * The data sync configuration, as one story per project: a viewer reads it; an admin gets a
 * field's message, previews and saves; applies it to the connections behind; loses a race to the
 * owner without losing what they typed; applies again and watches the backfill bring every
 * connection forward; restores the first version.
 *
 * The story edits the sandbox environment, where the other spec files never look, and each
 * project its own integration type (JavaScript on: accounting, off: commerce), so the projects
 * run side by side without seeing each other's versions.
 */
test.describe.configure({ mode: "serial" });

type Platform = { id: string; name: string };
/** The type a project edits, the object it turns off and on, the platform it overrides, and a
 * platform it leaves on the type's settings (all of them in Acme's sandbox). */
type Story = { type: string; object: string; overridden: Platform; plain: Platform };
function story(testInfo: TestInfo): Story {
  return testInfo.project.name === "js"
    ? {
        type: "accounting",
        object: "invoices",
        overridden: { id: "sage_intacct", name: "Sage Intacct" },
        plain: { id: "freshbooks", name: "FreshBooks" },
      }
    : {
        type: "commerce",
        object: "orders",
        overridden: { id: "shopify", name: "Shopify" },
        plain: { id: "amazon_seller", name: "Amazon Seller" },
      };
}

/** Opens the first connection of a platform in the selected environment. */
async function openConnectionOf(page: Page, platform: Platform) {
  await page.goto(`/connections?platform=${platform.id}`);
  await page.getByTestId("connections-table").locator("tbody tr a").first().click();
  await expect(page.getByTestId("connection-config")).toBeVisible();
}

async function signInSandbox(page: Page, email: string) {
  await signIn(page, email);
  await page.getByLabel("Environment", { exact: true }).selectOption("sandbox");
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByTestId("current-environment")).toHaveText("Sandbox");
}

/** The number in the save button, "Save as version N". */
async function nextVersion(page: Page): Promise<number> {
  const text = await page.getByRole("button", { name: /Save as version \d+/ }).innerText();
  return Number(text.match(/\d+/)![0]);
}

test("a viewer reads the configuration, its drift and its history, and cannot edit", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await page.goto("/sync-configuration");
  await expect(page.getByRole("link", { name: "Accounting" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("version-line")).toContainText("Version 2");
  await expect(page.getByTestId("config-frequency")).toHaveText("every hour");
  await expect(page.getByTestId("config-lookback")).toContainText("36 months");
  await expect(page.getByTestId("applies-note")).toContainText("Changes apply to new connections and to backfills");
  await expect(page.getByTestId("config-read-only")).toContainText("Only owners and admins");
  await expect(page.getByTestId("config-objects")).toContainText("Not offered by NetSuite");
  // A disabled object is never "fetched on first link": the two columns agree on every row.
  const objects = await page
    .getByTestId("config-objects")
    .locator("tbody tr")
    .evaluateAll((rs) => rs.map((r) => Array.from(r.querySelectorAll("td")).map((td) => (td.textContent ?? "").trim())));
  expect(objects.some((r) => r[1] === "disabled")).toBe(true);
  for (const [name, synced, fetched] of objects) {
    if (synced === "disabled") expect(fetched, name).toBe("\u2014 (not synced)");
    else expect(["yes", "no: incremental only"], name).toContain(fetched);
  }
  // Drift links to the connections list filtered to the ones behind.
  await page.getByTestId("drift-count").getByRole("link").click();
  await expect(page).toHaveURL(/\/connections\?type=accounting&behind=1/);
  await expect(page.getByTestId("connections-table").locator("tbody tr").first()).toContainText("behind");
  await page.goto("/sync-configuration/accounting/versions");
  await expect(page.getByTestId("config-history")).toContainText("Version 2");
  await expect(page.getByTestId("version-diff").first()).toContainText("Disabled balance_sheets");
  // The form is shown read-only.
  await page.goto("/sync-configuration/accounting/edit");
  await expect(page.getByTestId("config-read-only")).toBeVisible();
  await expect(page.getByLabel("Initial lookback (months, 1–120)")).toBeDisabled();
});

test("an invalid value is named; then preview the diff and impact and save a new version", async ({ page }, testInfo) => {
  const s = story(testInfo);
  await signInSandbox(page, "admin@acme.test");
  await page.goto(`/sync-configuration?type=${s.type}`);
  await page.getByTestId("edit-config").click();
  await expect(page).toHaveURL(new RegExp(`/sync-configuration/${s.type}/edit`));
  const months = page.getByLabel("Initial lookback (months, 1–120)");
  await months.fill("0");
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByTestId("config-errors")).toContainText("Initial lookback must be between 1 and 120 months; 0 is outside that range.");
  await expect(months).toHaveValue("0");
  await months.fill("12");
  await page.getByLabel(`Sync ${s.object}`, { exact: true }).uncheck();
  await page.getByLabel("Incremental sync frequency").selectOption("1h");
  await page.getByRole("button", { name: "Preview changes" }).click();
  const preview = page.getByTestId("config-preview");
  await expect(preview).toContainText(`Disabled ${s.object}`);
  await expect(preview).toContainText("Initial lookback 24 → 12 months");
  await expect(preview).toContainText("Sync frequency every 6 hours → every hour");
  await expect(page.getByTestId("config-impact")).toContainText("stay on their current version until backfilled");
  const version = await nextVersion(page);
  await page.getByLabel("Comment (required)").fill(`e2e: no ${s.object}, a year of history`);
  await page.getByRole("button", { name: `Save as version ${version}` }).click();
  await expect(page).toHaveURL(new RegExp(`/sync-configuration/${s.type}/versions/${version}\\?saved=1`));
  await expect(page.getByTestId("config-saved")).toContainText(`Saved as version ${version}`);
  await expect(page.getByTestId("version-diff")).toContainText(`Disabled ${s.object}`);
  await page.goto(`/sync-configuration/${s.type}/versions`);
  await expect(page.getByTestId("config-history").locator("li").first()).toContainText(`e2e: no ${s.object}`);
});

test("a platform override is versioned; connections that lack nothing move to it at once and show where each value comes from", async ({ page }, testInfo) => {
  const s = story(testInfo);
  await signInSandbox(page, "admin@acme.test");
  await page.goto(`/sync-configuration/${s.type}/edit`);
  const box = page.getByTestId(`override-${s.overridden.id}`);
  await box.locator("summary").click();
  await box.getByRole("combobox").selectOption("15m");
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByTestId("config-preview")).toContainText(
    `${s.overridden.name} override, sync frequency: type default → every 15 minutes`,
  );
  await page.getByLabel("Comment (required)").fill(`e2e: ${s.overridden.name} every 15 minutes`);
  await page.getByRole("button", { name: /Save as version \d+/ }).click();
  await expect(page.getByTestId("config-saved")).toBeVisible();
  await page.goto(`/sync-configuration?type=${s.type}`);
  await expect(page.getByTestId("config-overrides")).toContainText(`${s.overridden.name}: syncs every 15 minutes`);
  await expect(page.getByTestId("drift-count")).toContainText("behind version");
  // Less history and one object fewer than version 1: nothing to fetch, so no backfill.
  await page.getByTestId("apply-link").click();
  await expect(page.getByTestId("apply-review")).toContainText("queues 0 runs");
  await expect(page.getByTestId("apply-review")).toContainText("move at once");
  await page.getByRole("button", { name: /Apply version \d+ to \d+ connection/ }).click();
  await expect(page).toHaveURL(new RegExp(`/sync-configuration\\?type=${s.type}`));
  await expect(page.getByTestId("drift-count")).toContainText("All");
  await openConnectionOf(page, s.overridden);
  await expect(page.getByTestId("effective-frequency")).toHaveText(`every 15 minutes (${s.overridden.name} override)`);
  await openConnectionOf(page, s.plain);
  await expect(page.getByTestId("effective-frequency")).toHaveText(`every hour (${s.type} default)`);
  await expect(page.getByTestId("object-table")).toContainText(`disabled (${s.type} default)`);
});

async function openAs(browser: Browser, testInfo: TestInfo, email: string): Promise<Page> {
  const context = await browser.newContext({
    baseURL: testInfo.project.use.baseURL,
    javaScriptEnabled: testInfo.project.use.javaScriptEnabled,
  });
  const page = await context.newPage();
  await signInSandbox(page, email);
  return page;
}

test("a concurrent edit is refused with what the first save changed, and the input is kept", async ({ page, browser }, testInfo) => {
  const s = story(testInfo);
  await signInSandbox(page, "admin@acme.test");
  // The admin starts editing: turn the object back on.
  await page.goto(`/sync-configuration/${s.type}/edit`);
  await page.getByLabel(`Sync ${s.object}`, { exact: true }).check();
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByTestId("config-preview")).toContainText(`Enabled ${s.object}`);
  const base = (await nextVersion(page)) - 1;
  await page.getByLabel("Comment (required)").fill(`e2e: ${s.object} again`);

  // Meanwhile the owner saves a change of frequency.
  const owner = await openAs(browser, testInfo, "owner@acme.test");
  await owner.goto(`/sync-configuration/${s.type}/edit`);
  await owner.getByLabel("Incremental sync frequency").selectOption("24h");
  await owner.getByRole("button", { name: "Preview changes" }).click();
  await owner.getByLabel("Comment (required)").fill("e2e: daily is enough");
  await owner.getByRole("button", { name: `Save as version ${base + 1}` }).click();
  await expect(owner.getByTestId("config-saved")).toBeVisible();
  await owner.context().close();

  // The admin's save is refused, says what the owner changed, and keeps what they typed.
  await page.getByRole("button", { name: `Save as version ${base + 1}` }).click();
  const conflict = page.getByTestId("config-conflict");
  await expect(conflict).toContainText(`owner@acme.test saved version ${base + 1} while you were editing version ${base}`);
  await expect(conflict).toContainText("Sync frequency every hour → every 24 hours");
  await expect(page.getByLabel(`Sync ${s.object}`, { exact: true })).toBeChecked();
  await expect(page.getByLabel("Comment (required)")).toHaveCount(0);
  await expect(page).toHaveURL(/comment=e2e/);
  // Previewing again compares with the owner's version; saving works.
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByTestId("config-preview")).toContainText(`Enabled ${s.object}`);
  await expect(page.getByTestId("config-preview")).not.toContainText("Sync frequency");
  await expect(page.getByRole("button", { name: `Save as version ${base + 2}` })).toBeVisible();
  // The comment typed before the conflict is still there.
  await expect(page.getByLabel("Comment (required)")).toHaveValue(`e2e: ${s.object} again`);
  await page.getByRole("button", { name: `Save as version ${base + 2}` }).click();
  await expect(page.getByTestId("config-saved")).toContainText(`Saved as version ${base + 2}`);
});

test("apply to existing connections queues what they lack and drift reaches zero", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const s = story(testInfo);
  await signInSandbox(page, "admin@acme.test");
  // A run the sandbox fails leaves its connection behind, saying why; applying again retries it,
  // as a person would.
  for (let round = 0; round < 3; round++) {
    await page.goto(`/sync-configuration?type=${s.type}`);
    const drift = page.getByTestId("drift-count");
    if ((await drift.innerText()).startsWith("All")) break;
    await page.getByTestId("apply-link").click();
    const review = page.getByTestId("apply-review");
    await expect(review).toContainText(/queues [1-9]\d* runs?/);
    await expect(page.getByTestId("apply-connections")).toContainText(s.object);
    await page.getByRole("button", { name: /Apply version \d+ to \d+ connection/ }).click();
    await expect(page).toHaveURL(/\/backfills\/bf_/);
    const status = page.getByTestId("backfill-status");
    await expect(async () => {
      if (testInfo.project.use.javaScriptEnabled === false) await page.reload();
      await expect(status).toHaveText(/Succeeded|Partial|Failed/, { timeout: 2_000 });
    }).toPass({ timeout: 150_000 });
  }
  await page.goto(`/sync-configuration?type=${s.type}`);
  const drift = await page.getByTestId("drift-count").innerText();
  if (drift.startsWith("All") || drift.startsWith("The one")) {
    expect(drift).toMatch(/^(All \d+ connections run|The one connection runs) version \d+\.$/);
  } else {
    // The sandbox expires a connection's credentials on 1% of runs, and such a connection fails
    // every run until someone links it again: it rightly stays behind, and says why.
    expect(drift).toMatch(/^(1 connection|2 connections) behind version \d+\.$/);
    await page.getByTestId("apply-link").click();
    const rows = page.getByTestId("apply-connections").locator("tbody tr");
    for (const r of await rows.all()) await expect(r).toContainText("Last apply failed");
  }
});

test("restoring an old version saves it as a new one and the connection page shows where settings come from", async ({ page }, testInfo) => {
  const s = story(testInfo);
  await signInSandbox(page, "owner@acme.test");
  await page.goto(`/sync-configuration/${s.type}/versions/1`);
  const restore = page.getByRole("button", { name: /Restore as version \d+/ });
  const version = Number((await restore.innerText()).match(/\d+/)![0]);
  await restore.click();
  await expect(page).toHaveURL(new RegExp(`/sync-configuration/${s.type}/versions/${version}\\?saved=1`));
  await expect(page.getByTestId("version-line")).toContainText("restored from version 1");
  await expect(page.getByTestId("version-diff")).toContainText("Initial lookback 12 → 24 months");
  await page.goto(`/sync-configuration/${s.type}/versions`);
  await expect(page.getByTestId("config-history").locator("li").first()).toContainText("Restored version 1");
  // Its connections run an older version now, and their pages say so.
  await openConnectionOf(page, s.plain);
  await expect(page.getByTestId("connection-config")).toContainText(`of the ${s.type} configuration`);
  await expect(page.getByTestId("behind-note")).toContainText("changes since then apply to it only after a backfill");
});

test("owners read the audit log of configuration changes, filtered by action and person", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/settings/audit");
  await page.getByLabel("Action").selectOption("sync_config.save");
  await page.getByLabel("Person (email)").fill("admin@acme.test");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=sync_config.save&actor=admin%40acme.test/);
  const rows = page.getByTestId("audit-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  for (const r of await rows.allInnerTexts()) {
    expect(r).toContain("sync_config.save");
    expect(r).toContain("admin@acme.test");
  }
  // Viewers are told it is not for them.
  await signIn(page, "viewer@acme.test");
  await page.goto("/settings/audit");
  await expect(page.getByText("The audit log is for the organization's owners and admins.")).toBeVisible();
});
