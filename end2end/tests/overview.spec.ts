import { test, expect, signIn, expectNoSideScroll } from "./helpers";

/**
 * The Overview's charts, with JavaScript on and off: drawn by the server, the range and the
 * environment in the URL, every figure and its chart in agreement, a bar leading to the list
 * it counts (the same number of rows), a data table with the same links, and no sideways
 * scrolling on a phone.
 */
const CHARTS = ["requests", "error-rate", "latency", "sync-runs", "deliveries"];

test("the Overview charts its range and each bar opens the rows it counts", async ({ page }, testInfo) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/?range=7d&environment=production");
  await expect(page.getByText("Acme Corp · Production · last 7 days")).toBeVisible();
  for (const id of CHARTS) {
    const chart = page.getByTestId(`chart-${id}`);
    await expect(chart).toBeVisible();
    // A group named by the chart's own title.
    await expect(chart).toHaveAttribute("role", "group");
    expect(await chart.evaluate((svg) => svg.querySelector("title")?.textContent ?? "")).not.toBe("");
  }
  // The headline figure is the sum of the bars of the requests chart.
  const stat = Number((await page.getByTestId("stat-requests").innerText()).replace(/,/g, ""));
  const bars = await page
    .getByTestId("chart-requests")
    .locator("rect")
    .evaluateAll((rs) => rs.map((r) => Number((r.querySelector("title")?.textContent ?? "").split(": ")[1]?.split(" ")[0].replace(/,/g, "") ?? 0)));
  expect(stat).toBeGreaterThan(0);
  expect(bars.reduce((a, b) => a + b, 0)).toBe(stat);
  await page.screenshot({ path: testInfo.outputPath(`overview-1366-${testInfo.project.name}.png`), fullPage: true });

  // A failed-runs bar opens the environment's sync runs filtered to its status and bin.
  const failed = page.getByTestId("chart-sync-runs").locator('rect[data-series="Failed"]').first();
  const title = (await failed.locator("title").textContent()) ?? "";
  const count = Number(title.split(": ")[1].split(" ")[0].replace(/,/g, ""));
  expect(count).toBeGreaterThan(0);
  await failed.click();
  await expect(page).toHaveURL(/\/sync-runs\?status=failed&from=.*&to=.*&environment=production/);
  await expect(page.getByRole("heading", { level: 1, name: "Sync runs" })).toBeVisible();
  await expect(page.getByTestId("environment-runs").locator("tbody tr.align-top")).toHaveCount(Math.min(count, 50));
  await expect(page.getByLabel("Status")).toHaveValue("failed");

  // The data table carries the same links, for keyboards and screen readers.
  await page.goto("/?range=24h");
  await page.getByTestId("chart-card-requests").getByText("Data table").click();
  const table = page.getByTestId("chart-table-requests");
  await expect(table).toBeVisible();
  await expect(table.locator("tbody tr")).toHaveCount(24);
  const href = await table.locator("a").first().getAttribute("href");
  expect(href).toMatch(/^\/requests\?status=\dxx&from=.*&to=.*&environment=production$/);

  // The range is a link; a range the page does not offer is named.
  await page.getByRole("navigation", { name: "Range" }).getByRole("link", { name: "Last 30 days" }).click();
  await expect(page).toHaveURL(/range=30d/);
  await expect(page.getByText("Acme Corp · Production · last 30 days")).toBeVisible();
  await page.goto("/?range=1y");
  await expect(page.getByRole("alert")).toContainText("1y");

  // The environment in the URL: the whole console follows it.
  await page.goto("/?environment=sandbox");
  await expect(page.getByText("Acme Corp · Sandbox · last 24 hours")).toBeVisible();
  await expect(page.getByTestId("current-environment")).toHaveText("Sandbox");
  await page.goto("/?environment=production");
  await expect(page.getByTestId("current-environment")).toHaveText("Production");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/?range=7d");
  await expect(page.getByTestId("chart-requests")).toBeVisible();
  await expectNoSideScroll(page, "overview");
  await page.screenshot({ path: testInfo.outputPath(`overview-390-${testInfo.project.name}.png`), fullPage: true });
});
