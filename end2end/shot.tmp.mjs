import { chromium } from "@playwright/test";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const ctx = await b.newContext({ viewport: { width: 390, height: 844 } });
const p = await ctx.newPage();
const base = "http://127.0.0.1:43111";
await p.goto(base + "/sign-in");
await p.getByLabel("Email").fill("owner@acme.test");
await p.getByLabel("Password").fill("switchboard-demo");
await p.getByRole("button", { name: "Sign in" }).click();
await p.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
for (const [i, path] of process.argv.slice(2).entries()) {
  await p.goto(base + path);
  await p.screenshot({ path: `/tmp/shot-${i}.png`, fullPage: true });
}
await b.close();
