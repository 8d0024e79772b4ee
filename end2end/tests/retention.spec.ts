import { test, expect, signIn, expectNoSideScroll } from "./helpers";

/**
 * Data retention, with JavaScript on and off: the period is shown where it is set and on the
 * lists it limits; owners save it (the suite keeps the demo's 90 days, so the purge never
 * takes rows other tests read: changing the period is proven in `tests/it/retention.rs`);
 * members who may not change it see why; it fits a phone.
 */
test("owners set how long data is kept and every list says so", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/settings/retention");
  await expect(page.getByRole("heading", { level: 1, name: "Data retention" })).toBeVisible();
  await expect(page.getByTestId("retention-current")).toContainText("kept 90 days");
  const ninety = page.getByRole("radio", { name: "90 days" });
  await expect(ninety).toBeChecked();
  await ninety.check();
  await page.getByTestId("save-retention").click();
  await expect(page.getByTestId("saved")).toContainText("kept 90 days");
  await page.screenshot({ path: testInfo.outputPath(`retention-1366-${testInfo.project.name}.png`), fullPage: true });

  // The lists it limits say how far back they go, with a way here.
  for (const [path, text] of [
    ["/requests", "Request logs are kept 90 days"],
    ["/sync-runs", "Sync runs are kept 90 days"],
    ["/webhooks/deliveries", "Webhook deliveries and their payloads are kept 90 days"],
  ]) {
    await page.goto(path);
    await expect(page.getByTestId("retention-note")).toContainText(text);
  }
  await page.getByTestId("retention-note").getByRole("link", { name: "Change" }).click();
  await expect(page).toHaveURL(/\/settings\/retention$/);

  // A developer reads it but cannot change it.
  await page.context().clearCookies();
  await signIn(page, "dev@acme.test", "/settings/retention");
  await expect(page.getByTestId("read-only-note")).toContainText("Only owners and admins");
  await expect(page.getByRole("radio", { name: "7 days" })).toBeDisabled();
  await expect(page.getByTestId("save-retention")).toBeDisabled();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/settings/retention");
  await expect(page.getByTestId("retention-current")).toBeVisible();
  await expectNoSideScroll(page, "retention");
  await page.screenshot({ path: testInfo.outputPath(`retention-390-${testInfo.project.name}.png`), fullPage: true });
});
