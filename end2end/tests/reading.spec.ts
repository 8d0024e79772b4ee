import { test, expect, signIn, brokenWords, expectNoSideScroll } from "./helpers";
import type { Page, TestInfo } from "@playwright/test";

/**
 * Every main screen reads as written, at a laptop's 1366 px and a phone's 390 px: no word, id,
 * date or badge broken across two lines, no page that scrolls sideways, and no link with an
 * empty parameter. The pages are the
 * demo's, reached as people reach them (a request, a connection, an endpoint and a backfill
 * from their lists).
 */

async function pages(page: Page): Promise<string[]> {
  const first = async (list: string, selector: string) => {
    await page.goto(list);
    const href = await page.locator(selector).first().getAttribute("href");
    expect(href, `a link on ${list}`).toBeTruthy();
    return href as string;
  };
  return [
    "/",
    "/errors?range=7d",
    "/requests",
    "/requests?status=5xx",
    await first("/requests?status=5xx", "tr[data-request-id] a[href^='/requests/req_']"),
    "/connections",
    await first("/connections?status=degraded", "[data-testid=connections-table] tbody tr a[href^='/connections/conn_']"),
    "/sync-configuration",
    "/backfills",
    "/backfills/new",
    await first("/backfills", "a[href^='/backfills/bf_']"),
    "/webhooks",
    await first("/webhooks", "a[href^='/webhooks/ep_']"),
    "/webhooks/deliveries",
    "/issues",
    "/settings/api-keys",
    "/settings/audit",
  ];
}

for (const width of [1366, 390]) {
  test(`no word breaks mid-token and nothing scrolls sideways at ${width} px`, async ({ page }, testInfo: TestInfo) => {
    test.setTimeout(120_000);
    await signIn(page, "owner@acme.test");
    await page.setViewportSize({ width, height: 900 });
    const problems: string[] = [];
    for (const path of await pages(page)) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(200);
      const broken = await brokenWords(page);
      if (broken.length) problems.push(`${path}: ${broken.slice(0, 8).join("; ")}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) problems.push(`${path}: scrolls sideways by ${overflow} px`);
      // Links carry only the filters that are set: no "&=", "?&" or "&&".
      const stray = await page.evaluate(() =>
        Array.from(document.querySelectorAll("a[href]"))
          .map((a) => a.getAttribute("href") ?? "")
          .filter((h) => /[?&]=|\?&|&&|[?&]$/.test(h)),
      );
      if (stray.length) problems.push(`${path}: links with empty parameters: ${stray.slice(0, 3).join(" ")}`);
      if (width === 390 && testInfo.project.name === "js") {
        await page.screenshot({ path: testInfo.outputPath(`${path.replace(/[^a-z0-9]+/gi, "_")}-390.png`), fullPage: true });
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
    await expectNoSideScroll(page, "the last page");
  });
}

test("submitting a filter form untouched puts no empty-named parameter in the address", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  for (const path of ["/requests", "/connections", "/issues", "/settings/audit", "/webhooks/deliveries"]) {
    await page.goto(path);
    const form = page.locator("form[aria-label^='Filter']").first();
    await expect(form, path).toHaveCount(1);
    await Promise.all([
      page.waitForURL((u) => u.search.length > 0 || u.pathname !== path, { timeout: 10_000 }).catch(() => {}),
      form.evaluate((f: HTMLFormElement) => f.requestSubmit()),
    ]);
    await page.waitForLoadState("load");
    expect(page.url(), path).not.toMatch(/[?&]=|\?&|&&/);
  }
});
