// Makes the Getting Started walkthrough's pictures (media/walkthrough/*.png) from the e2e tier's
// screenshots, so every picture shows the product as it really looks. Run after an e2e run:
//   PLAYWRIGHT_CORE=$E2E_ROOT/tools/node_modules/playwright-core node test/e2e/walkthrough-media.js [shots dir]
// Chromium crops and scales each screenshot (an <img> in a clipped box), so no image tool is needed;
// the pictures are committed, and neither CI nor the .vsix build runs this.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const REPO = path.resolve(__dirname, '../..');
const SHOTS = path.resolve(process.argv[2] || path.join(REPO, 'test-artifacts/e2e/shots'));
const OUT = path.join(REPO, 'media/walkthrough');
// VS Code shows a walkthrough picture as a 1.5x image (srcset), so a 1,026 px crop of a 1600 × 1000
// screenshot shows 684 px wide: crops stay at full size, and a small one is scaled up to match.
const MAX_WIDTH = 1300;

// Regions in the screenshots' pixels (1600 × 1000). Each keeps what its step is about and leaves
// out the notification corner.
const PICTURES = [
  { out: 'provider.png', shot: '01-empty-ledger-and-summary.png', clip: { x: 0, y: 30, width: 350, height: 250 }, scale: 1.5 },
  { out: 'orchestrate.png', shot: '02b-pattern-quick-pick.png', clip: { x: 500, y: 5, width: 602, height: 358 }, scale: 1.5 },
  { out: 'approve.png', shot: '32-plan-review-edited.png', clip: { x: 532, y: 35, width: 1068, height: 610 } },
  { out: 'dashboard.png', shot: '36-dashboard-finished.png', clip: { x: 532, y: 35, width: 1068, height: 525 } },
  { out: 'agent.png', shot: '34-agent-view-live.png', clip: { x: 532, y: 35, width: 1068, height: 525 } },
  { out: 'build.png', shot: '21-build-diff.png', clip: { x: 50, y: 35, width: 1250, height: 310 } },
];

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const p of PICTURES) {
      const src = path.join(SHOTS, p.shot);
      const scale = p.scale ?? Math.min(1, MAX_WIDTH / p.clip.width);
      const w = Math.round(p.clip.width * scale), h = Math.round(p.clip.height * scale);
      await page.setViewportSize({ width: w, height: h });
      const data = fs.readFileSync(src).toString('base64');
      // The whole screenshot is scaled, then shifted so the clip's corner sits at the page's origin.
      await page.setContent(`<style>html,body{margin:0;overflow:hidden}</style>
        <img style="position:absolute;left:${-p.clip.x * scale}px;top:${-p.clip.y * scale}px;width:1600px;transform:scale(${scale});transform-origin:0 0"
             src="data:image/png;base64,${data}">`);
      await page.locator('img').evaluate((img) => img.decode());
      await page.screenshot({ path: path.join(OUT, p.out), clip: { x: 0, y: 0, width: w, height: h } });
      console.log(`${p.out}: ${w}×${h}, ${fs.statSync(path.join(OUT, p.out)).size} bytes (from ${p.shot})`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
