// Builds the widget front end into src/bayes_widgets/static/ (generated, not committed).
//
// Every widget module is bundled on its own and stays small; BokehJS is bundled once, into
// bokehjs.js (js/lib/bokehjs.js), which reaches a page once: in the state of the hidden
// carrier model (bokeh_lib.js), in the kernel's answer to a view that asks for it, or
// inlined in a static export (see js/lib/bokeh.js); bokehjs.js.gz is the same, compressed.
// Its first line names the BokehJS
// version, which the kernel reads before sending it. BokehJS registers its models by
// class name, so identifiers are never renamed.
//
// It also writes html_manager.js, the widget runtime of static HTML exports
// (src/bayes_widgets/export.py): require.js, @jupyter-widgets/html-manager's embed-amd.js
// and anywidget's front end as a named AMD module, so exported pages render the saved
// widget state with no CDN, and mathjax.js (MathJax 3, TeX input, SVG output, every TeX
// extension included so none is fetched), inlined into exports of notebooks with math.
//
// `node js/build.mjs --check` builds everything into a temporary directory instead, runs
// the same checks (the files inlined into exported pages can be inlined) and removes it:
// part of `npm run check`, which also type-checks the sources (tsconfig.json).
import * as esbuild from "esbuild";
import { readFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const bokehPkg = JSON.parse(
  readFileSync(join(root, "node_modules/@bokeh/bokehjs/package.json"), "utf8"),
);
const checkOnly = process.argv.includes("--check");
const outdir = checkOnly ? mkdtempSync(join(tmpdir(), "bw-build-check-")) : join(root, "src/bayes_widgets/static");
mkdirSync(outdir, { recursive: true });
// a check leaves nothing behind, whether it passes or fails
if (checkOnly) process.on("exit", () => rmSync(outdir, { recursive: true, force: true }));

// One entry per widget module (js/<name>.js, the carrier bokeh_lib.js included).
const entries = readdirSync(join(root, "js"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => join(root, "js", f));

const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  keepNames: true,
  loader: { ".css": "text" },
  define: {
    __BW_VERSION__: JSON.stringify(pkg.version),
    __BOKEHJS_VERSION__: JSON.stringify(bokehPkg.version),
  },
  logLevel: "warning",
};
await esbuild.build({ ...common, entryPoints: entries, outdir });
const BOKEHJS_BANNER = `/* bayes_widgets BokehJS ${bokehPkg.version} */`;
await esbuild.build({
  ...common,
  entryPoints: [join(root, "js/lib/bokehjs.js")],
  outfile: join(outdir, "bokehjs.js"),
  // module-scoped `define`: the UMD libraries inside BokehJS (sprintf) must not register
  // with the page's AMD loader, where there is one (require.js: static exports, Notebook 6),
  // which would report a mismatched anonymous define()
  banner: { js: `${BOKEHJS_BANNER}\nvar define;` },
});
// gzip-compressed too (about a quarter of the size): what the carrier's state holds and
// what the kernel sends a page that can unpack it (DecompressionStream)
writeFileSync(join(outdir, "bokehjs.js.gz"), gzipSync(readFileSync(join(outdir, "bokehjs.js")), { level: 9 }));
// The runtime of static HTML exports, inlined into each exported page by export.py.
// embed-amd.js defines @jupyter-widgets/{base,controls,output,html-manager} as named AMD
// modules and renders the page's widgets on load; its loader asks require.js for every
// other model module (anywidget's) and only falls back to a CDN when require.js cannot
// find it, so anywidget's front end (an anonymous AMD module) is defined here by name.
const nodeModule = (path) => readFileSync(join(root, "node_modules", path), "utf8");
const version = (name) => JSON.parse(nodeModule(`${name}/package.json`)).version;
const runtimeVersions = {
  requirejs: version("requirejs"),
  "@jupyter-widgets/html-manager": version("@jupyter-widgets/html-manager"),
  anywidget: version("anywidget"),
};
const requirejs = (
  await esbuild.transform(nodeModule("requirejs/require.js"), { minify: true, target: "es2015" })
).code;
const runtime = [
  `/* bayes_widgets export runtime ${JSON.stringify(runtimeVersions)} */`,
  requirejs,
  nodeModule("@jupyter-widgets/html-manager/dist/embed-amd.js"),
  "(function (define) {",
  nodeModule("anywidget/dist/index.js"),
  '})(function (deps, factory) { window.define("anywidget", deps, factory); });',
  "",
].join("\n").replace(/^\/\/# sourceMappingURL=.*$/gm, ";"); // no .map files travel with it
// Inlined in a <script>: "</script" would end it early, and "<!--" followed by "<script"
// would keep it from ending.
function checkInlinable(name, code) {
  const lower = code.toLowerCase();
  if (lower.includes("</script") || (lower.includes("<!--") && lower.includes("<script"))) {
    throw new Error(`${name} cannot be inlined in a <script> element`);
  }
  return code;
}
writeFileSync(join(outdir, "html_manager.js"), checkInlinable("html_manager.js", runtime));
checkInlinable("bokehjs.js", readFileSync(join(outdir, "bokehjs.js"), "utf8")); // inlined by exports too
const mathjaxVersion = version("mathjax-full");
writeFileSync(
  join(outdir, "mathjax.js"),
  checkInlinable(
    "mathjax.js",
    `/* bayes_widgets export MathJax ${mathjaxVersion} */\n` + nodeModule("mathjax-full/es5/tex-svg-full.js"),
  ),
);

if (checkOnly) {
  console.log(`build check passed: ${entries.length} modules, bokehjs.js and the export runtime build and can be inlined`);
} else {
  console.log(`built ${entries.length} modules and bokehjs.js into ${outdir} (version ${pkg.version}, BokehJS ${bokehPkg.version}) and the export runtime (html_manager.js, mathjax.js)`);
}
