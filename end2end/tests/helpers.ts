import { test as base, expect, Page } from "@playwright/test";

export { expect };
export type { Page };

export const PASSWORD = "switchboard-demo";

/**
 * Every test's page fails the test on a Content-Security-Policy violation or an uncaught error
 * in the browser: the policy allows only the app's own scripts and styles, and a page that
 * needs more would silently lose its interactivity.
 */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const problems: string[] = [];
    page.on("console", (m) => {
      const text = m.text();
      if (m.type() === "error" && /Content Security Policy|Refused to (execute|load|apply|evaluate|compile)/i.test(text)) {
        problems.push(`CSP: ${text}`);
      }
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    await use(page);
    expect(problems, "the browser reported CSP violations or errors").toEqual([]);
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
