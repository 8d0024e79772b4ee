import { test as base, expect, Page, TestInfo } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

export { expect };
export type { Page };

export const PASSWORD = "switchboard-demo";

/**
 * Pages already checked by axe in this worker and project, keyed by route (IDs folded to `:id`,
 * the `tab` parameter kept because each tab is a different page). Checking each route once per
 * worker keeps the suite's cost to a few seconds while still covering every page any test visits.
 */
const axeChecked = new Set<string>();

/** `/connections/conn_01J…?tab=history&status=failed` → `/connections/:id?tab=history`. */
export function routeKey(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  // Server-function URLs answer no-JS form posts; they are not pages to open again.
  if (!u.protocol.startsWith("http") || u.pathname.startsWith("/api/")) return null;
  const path = u.pathname
    .split("/")
    .map((s) => (/\d/.test(s) && s.length >= 8 ? ":id" : s))
    .join("/");
  const tab = u.searchParams.get("tab");
  return tab ? `${path}?tab=${tab}` : path;
}

/**
 * Runs axe-core's WCAG 2 A and AA rules on the page as it is now and returns the serious and
 * critical violations, one line each with the elements involved.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}) on ${page.url()}: ${v.help}; ` +
        v.nodes
          .slice(0, 5)
          .map((n) => `${n.target.join(" ")}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, " ")}]` : ""}`)
          .join(" | "),
    );
}

/**
 * Every test's page fails the test on a Content-Security-Policy violation or an uncaught error
 * in the browser (the policy allows only the app's own scripts and styles, and a page that needs
 * more would silently lose its interactivity), and on a serious or critical accessibility
 * violation on any page the test visited: after the test, each visited route not yet checked in
 * this worker is opened again in the same session and checked with axe-core (JavaScript project).
 */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use, testInfo: TestInfo) => {
    const problems: string[] = [];
    const visited: string[] = [];
    page.on("console", (m) => {
      const text = m.text();
      if (m.type() === "error" && /Content Security Policy|Refused to (execute|load|apply|evaluate|compile)/i.test(text)) {
        problems.push(`CSP: ${text}`);
      }
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url());
    });
    await use(page);
    expect(problems, "the browser reported CSP violations or errors").toEqual([]);
    if (testInfo.status !== "passed") return;

    // axe runs as a script in the page, so it checks the hydrated page in the JavaScript
    // project. The page a browser without JavaScript shows is the same server-rendered HTML
    // before hydration (hydration adds no markup), so checking it again would double the cost
    // and find nothing new.
    if (testInfo.project.use.javaScriptEnabled === false) return;
    const accessibility: string[] = [];
    for (const url of visited) {
      const key = routeKey(url);
      const scope = `${testInfo.project.name} ${key}`;
      if (!key || axeChecked.has(scope)) continue;
      axeChecked.add(scope);
      // Each check opens the page again: give it its own time beside the test's.
      testInfo.setTimeout(testInfo.timeout + 15_000);
      const response = await page.goto(url).catch(() => null);
      if (!response) continue;
      await page.waitForLoadState("networkidle").catch(() => {});
      accessibility.push(...(await axeViolations(page)));
    }
    expect(accessibility, "axe-core found serious or critical WCAG 2 A/AA violations").toEqual([]);
  },
});

/** Signs in through the real form; works with JavaScript on and off. */
export async function signIn(page: Page, email: string, next = "/") {
  await page.goto(next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** Creates a key on /settings/api-keys and returns it (the page shows it once). */
export async function createKey(page: Page, name: string, scope: "ingest" | "read" | "backfills"): Promise<string> {
  await page.goto("/settings/api-keys");
  await page.getByLabel("New key name").fill(name);
  await page.getByLabel("Scope").selectOption(scope);
  await page.getByRole("button", { name: "Create production key" }).click();
  const notice = page.getByTestId("new-api-key");
  await expect(notice).toContainText(name);
  const key = (await notice.locator("code").innerText()).trim();
  expect(key).toMatch(new RegExp(`^sb_${scope}_[0-9A-Za-z]{32,}$`));
  // The list shows the key's prefix and scope, never the key.
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(scope);
  await expect(row).toContainText(key.slice(0, 12));
  await page.reload();
  await expect(page.getByText(key)).toHaveCount(0);
  return key;
}

/** A `req_` id (ULID) minted now, as a data plane does when a request arrives. */
export function requestId(): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  let t = Date.now();
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (let i = 0; i < 16; i++) rand += alphabet[Math.floor(Math.random() * 32)];
  return `req_${time}${rand}`;
}

/** Fails when the page scrolls sideways (at a phone's width, most of all). */
export async function expectNoSideScroll(page: Page, what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${what}: no sideways scrolling at ${page.viewportSize()?.width} px`).toBeLessThanOrEqual(1);
}

/**
 * Words, ids and dates broken across two lines ("exp/enses", "2026-12-0/3") in tables, lists
 * and badges: every word of every visible text node is measured with a Range; a word whose
 * box spans two lines is broken. Returns "word (in: text)" for each, so a failure names them.
 */
export async function brokenWords(page: Page, selector = "main"): Promise<string[]> {
  return page.evaluate((sel) => {
    const out: string[] = [];
    const root = document.querySelector(sel);
    if (!root) return out;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent ?? "";
      const parent = n.parentElement;
      if (!parent || !text.trim()) continue;
      // Prose and code blocks wrap as text does; what must not break is a table's, a badge's
      // or a list's tokens. Hidden elements have no boxes.
      if (parent.closest("pre, p, textarea, [data-wrap-ok]")) continue;
      if (parent.getClientRects().length === 0) continue;
      const re = /\S+/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text))) {
        if (m[0].length < 2) continue;
        range.setStart(n, m.index);
        range.setEnd(n, m.index + m[0].length);
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
        const tops = new Set(rects.map((r) => Math.round(r.top)));
        if (tops.size < 2) continue;
        // Where it broke: a path or URL may wrap after a slash (or before a query's ? and &),
        // as people write them; anywhere else the token itself is cut.
        let clean = true;
        let lastTop: number | null = null;
        for (let i = 0; i < m[0].length; i++) {
          range.setStart(n, m.index + i);
          range.setEnd(n, m.index + i + 1);
          const r = range.getClientRects()[0];
          if (!r || r.width === 0) continue;
          const top = Math.round(r.top);
          if (lastTop !== null && Math.abs(top - lastTop) > 2) {
            const before = m[0][i - 1];
            const here = m[0][i];
            if (!(before === "/" || here === "?" || here === "&")) clean = false;
          }
          lastTop = top;
        }
        if (!clean) out.push(`${m[0]} (in: ${text.trim().slice(0, 60)})`);
      }
    }
    return out;
  }, selector);
}
