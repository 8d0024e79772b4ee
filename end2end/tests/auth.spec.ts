import { test, expect, signIn, PASSWORD } from "./helpers";

test("signed-out visitors are sent to sign-in and brought back afterwards", async ({ page }) => {
  await page.goto("/connections");
  await expect(page).toHaveURL(/\/sign-in\?next=\/connections$/);
  await page.getByLabel("Email").fill("dev@acme.test");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await expect(page.getByRole("heading", { name: "Connections" })).toBeVisible();
});

test("sign in and sign out", async ({ page, context }) => {
  await signIn(page, "owner@acme.test");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  const cookie = (await context.cookies()).find((c) => c.name === "sb_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Lax");

  await page.locator("summary").filter({ hasText: "User menu" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByText("You have been signed out.")).toBeVisible();
  // The old session is gone on the server too.
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a wrong password gets a clear message and keeps the email", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("viewer@acme.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-in-error")).toHaveText("Incorrect email or password.");
  await expect(page.getByLabel("Email")).toHaveValue("viewer@acme.test");
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a cross-site form post is refused", async ({ page, baseURL }) => {
  const res = await page.request.post("/auth/sign-in", {
    form: { email: "owner@acme.test", password: PASSWORD },
    headers: { Origin: "https://evil.example" },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(403);
  expect(await res.text()).toContain("Origin check failed");
  expect(baseURL).toBeTruthy();
});
