import { test, expect, signIn, expectNoSideScroll } from "./helpers";

/**
 * The Errors page, with JavaScript on and off: failures grouped by code and endpoint from the
 * hourly rollups, the range and the order in the URL, a bad value named, each group leading to
 * the request log filtered to it, the code reference a link away, and no sideways scrolling on
 * a phone.
 */
test("the Errors page groups failures, ranges and sorts in the URL, and leads to the requests", async ({ page }, testInfo) => {
  await signIn(page, "dev@acme.test");
  await page.goto("/errors?range=7d");
  const rows = page.getByTestId("failure-row");
  await expect(rows.first()).toBeVisible();
  await expect(page.getByTestId("failures-summary")).toContainText("failed of");
  // Most failures first; every trend adds up to a count the page states.
  const counts = await rows.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-count"))));
  expect(counts.length).toBeGreaterThan(0);
  expect([...counts].sort((a, b) => b - a)).toEqual(counts);
  await page.screenshot({ path: testInfo.outputPath(`errors-1366-${testInfo.project.name}.png`), fullPage: true });

  // The range and the order are links: the URL says what is shown.
  await page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "Last 30 days" }).click();
  await expect(page).toHaveURL(/range=30d/);
  // With JavaScript the old range stays on screen until the new one has loaded.
  await expect(page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "Last 30 days" })).toHaveAttribute("aria-current", "page");
  await page.getByRole("navigation", { name: "Sort by" }).getByRole("link", { name: "Last seen" }).click();
  await expect(page).toHaveURL(/range=30d&sort=recent/);
  await expect(page.getByRole("navigation", { name: "Sort by" }).getByRole("link", { name: "Last seen" })).toHaveAttribute("aria-current", "page");
  await expect(rows.first()).toBeVisible();

  // A range the page does not offer is named, not ignored.
  await page.goto("/errors?range=1y");
  await expect(page.getByRole("alert")).toContainText("1y");

  // A group leads to its requests.
  await page.goto("/errors?range=7d");
  const first = rows.first();
  const code = (await first.getAttribute("data-code")) ?? "";
  await first.getByTestId("failure-link").click();
  await expect(page).toHaveURL(/\/requests\?/);
  if (!code.startsWith("HTTP")) await expect(page).toHaveURL(new RegExp(`error_code=${code}`));
  await expect(page.getByTestId("request-table")).toBeVisible();

  // The code reference moved a link away.
  await page.goto("/errors");
  await page.getByRole("link", { name: "Error code reference" }).click();
  await expect(page).toHaveURL(/\/errors\/codes$/);
  await expect(page.getByTestId("error-codes")).toContainText("rate-limited");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/errors?range=7d");
  await expect(rows.first()).toBeVisible();
  await expectNoSideScroll(page, "errors");
  await page.screenshot({ path: testInfo.outputPath(`errors-390-${testInfo.project.name}.png`), fullPage: true });
});
