import { expect, Page } from "@playwright/test";

export const PASSWORD = "switchboard-demo";

/** Signs in through the real form; works with JavaScript on and off. */
export async function signIn(page: Page, email: string, next = "/") {
  await page.goto(next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

