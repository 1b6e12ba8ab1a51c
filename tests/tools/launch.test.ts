import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { flagValues, permissionFlags, type Profile, PROFILES } from "../../lib/cli/launch.ts";
import { DEFAULT_HC18_DIR, PROJECT_ROOT } from "../../lib/core/project.ts";

const LAUNCHER = join(PROJECT_ROOT, "lib/cli/launch.ts");
const PROBE = join(PROJECT_ROOT, "tests/tools/fixtures/permission_probe.ts");

/** The comma-separated list of one `--allow-x=` flag, or undefined when the flag is absent. */
function grantList(flags: string[], name: string): string[] | undefined {
  const flag = flags.find((f) => f.startsWith(`--allow-${name}=`));
  return flag?.slice(`--allow-${name}=`.length).split(",");
}

Deno.test("flagValues reads both --flag value and --flag=value, in order", () => {
  const cases: [string[], string[]][] = [
    [["--data", "/a", "--epochs", "3", "--data=/b"], ["/a", "/b"]],
    [["--data"], []], // a trailing flag without a value grants nothing
    [["--database", "/x", "--data-dir=/y"], []], // other flags sharing the prefix do not count
    [[], []],
  ];
  for (const [args, expected] of cases) assert.deepEqual(flagValues(args, "--data"), expected);
});

Deno.test("permissionFlags: reads project, default HC18, --data and existing path args", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const file = join(tmp, "image.png");
    await Deno.writeFile(file, new Uint8Array([1]));
    const args = ["--data", "/nonexistent/hc18", file, join(tmp, "missing.png"), "--epochs", "2"];
    const flags = permissionFlags(PROFILES.data, args, "/");
    const read = grantList(flags, "read")!;
    assert.ok(read.includes(PROJECT_ROOT));
    assert.ok(read.includes(DEFAULT_HC18_DIR));
    assert.ok(read.includes("/nonexistent/hc18"), "--data is granted even before it exists");
    assert.ok(read.includes(file), "an existing file named on the command line is readable");
    assert.ok(!read.includes(join(tmp, "missing.png")), "a path that does not exist is not");
    assert.ok(!read.includes(tmp), "its folder is not");
    assert.deepEqual(
      grantList(flags, "write"),
      ["data", "results", "checkpoints"].map((d) => join(PROJECT_ROOT, d)),
    );
    assert.equal(flags.some((f) => f.startsWith("--allow-net")), false);
    assert.match(grantList(flags, "run")!.join(), /^\/[^,]*\/git$/); // git alone, for run.json
    assert.equal(flags.some((f) => f === "--allow-all" || f === "-A"), false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("permissionFlags: a dataset folder's images, masks and labels are readable wherever they lie", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const dataset = join(tmp, "imported"), images = join(tmp, "elsewhere", "training_set");
    await Deno.mkdir(dataset);
    await Deno.writeTextFile(
      join(dataset, "dataset.json"),
      JSON.stringify({
        name: "x",
        source: "y",
        imageDir: "../elsewhere/training_set",
        maskDir: "masks",
        labels: "/abs/labels.csv",
      }),
    );
    for (const args of [["--data", dataset], [dataset]]) {
      const read = grantList(permissionFlags(PROFILES.data, args, "/"), "read")!;
      assert.ok(read.includes(images), `${args.join(" ")}: imageDir`);
      assert.ok(read.includes(join(dataset, "masks")), "maskDir");
      assert.ok(read.includes("/abs/labels.csv"), "labels");
      assert.ok(!read.includes(join(tmp, "elsewhere")), "not the folder above the images");
    }
    // A path with a comma cannot be granted: left out, not an error for every task.
    await Deno.writeTextFile(
      join(dataset, "dataset.json"),
      JSON.stringify({ name: "x", source: "y", imageDir: "../a,b", labels: "labels.csv" }),
    );
    const withComma = grantList(permissionFlags(PROFILES.data, ["--data", dataset], "/"), "read")!;
    assert.ok(withComma.includes(join(dataset, "labels.csv")));
    assert.ok(!withComma.includes(join(tmp, "a")) && !withComma.includes("b"));
    // A malformed description grants nothing more (the script reports it).
    await Deno.writeTextFile(join(dataset, "dataset.json"), "{ not json");
    const read = grantList(permissionFlags(PROFILES.data, ["--data", dataset], "/"), "read")!;
    assert.ok(!read.includes(images));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("permissionFlags: relative paths resolve against cwd; output flags become writable", () => {
  const profile: Profile = { writeDirs: ["notebooks"], outputFlags: ["--out"], run: ["/bin/x"] };
  const flags = permissionFlags(profile, ["--out=build/nb", "--data", "d"], "/srv/work");
  assert.deepEqual(grantList(flags, "write"), [
    join(PROJECT_ROOT, "notebooks"),
    "/srv/work/build",
  ]);
  assert.ok(grantList(flags, "read")!.includes("/srv/work/d"));
  assert.deepEqual(grantList(flags, "run"), ["/bin/x"]);
});

Deno.test("permissionFlags: an output, file or folder, is granted through the folder holding it", () => {
  const flags = permissionFlags(
    PROFILES.data,
    ["--out", "preds.csv", "--overlays=ov", "--input", "imgs"],
    "/srv/work",
  );
  assert.deepEqual(grantList(flags, "write"), [
    join(PROJECT_ROOT, "data"),
    join(PROJECT_ROOT, "results"),
    join(PROJECT_ROOT, "checkpoints"),
    "/srv/work",
  ]);
  const nested = permissionFlags(PROFILES.data, ["--out=/srv/out/sub/p.csv"], "/");
  assert.equal(grantList(nested, "write")!.at(-1), "/srv/out/sub");
  // No extension: a folder (data:hc18 --out) or a file name without one (hc18:submit --out).
  const bare = permissionFlags(PROFILES.data, ["--out", "/srv/out/mine"], "/");
  assert.equal(grantList(bare, "write")!.at(-1), "/srv/out");
});

Deno.test("only the bench may spawn deno, and only this deno binary", () => {
  assert.deepEqual(grantList(permissionFlags(PROFILES.bench, [], "/"), "run"), [
    "/usr/bin/python3",
    Deno.execPath(),
  ]);
  assert.match(grantList(permissionFlags(PROFILES.data, [], "/"), "run")!.join(), /^\/[^,]*\/git$/);
  assert.ok(
    !grantList(permissionFlags(PROFILES.notebooks, [], "/"), "run")!.includes(Deno.execPath()),
  );
});

Deno.test("permissionFlags refuses a path containing a comma (it would split the grant list)", () => {
  assert.throws(() => permissionFlags(PROFILES.data, ["--data", "/a,/etc"], "/"), /comma/);
});

async function launchProbe(args: string[]): Promise<Record<string, string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", LAUNCHER, "data", PROBE, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("a data task cannot reach the network or write outside data/, results/, checkpoints/", async () => {
  const granted = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(granted, "labels.csv"), "x");
    await Deno.writeTextFile(join(other, "secret.csv"), "x");
    await Deno.mkdir(join(PROJECT_ROOT, "results"), { recursive: true }); // absent in a fresh clone
    const inResults = join(PROJECT_ROOT, "results", `.permission_probe_${Deno.pid}.tmp`);
    const ops = {
      localFetch: "fetch:http://127.0.0.1:47391/",
      publicFetch: "fetch:https://example.com/",
      writeTmp: `write:${join(other, "leak.txt")}`,
      writeProject: `write:${resolve(PROJECT_ROOT, "leak.tmp")}`,
      writeResults: `write:${inResults}`,
      readData: `read:${join(granted, "labels.csv")}`,
      readOther: `read:${join(other, "secret.csv")}`,
    };
    const r = await launchProbe(["--data", granted, ...Object.values(ops)]);
    // Without the sandbox these would fail differently (ConnectionRefused, DNS error) or succeed.
    assert.equal(r[ops.localFetch], "NotCapable");
    assert.equal(r[ops.publicFetch], "NotCapable");
    assert.equal(r[ops.writeTmp], "NotCapable");
    assert.equal(r[ops.writeProject], "NotCapable");
    assert.equal(r[ops.writeResults], "ok");
    assert.equal(r[ops.readData], "ok");
    assert.equal(r[ops.readOther], "NotCapable");
  } finally {
    await Deno.remove(granted, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("a data task may run git (for the commit and clean tree a run records) and nothing else", async () => {
  const r = await launchProbe(["gitdirty:", "run:python3", "run:sh"]);
  assert.match(r["gitdirty:"], /^(true|false)$/); // null would mean git could not run
  assert.equal(r["run:python3"], "NotCapable");
  assert.equal(r["run:sh"], "NotCapable");
});

Deno.test("predict --input may read HC18's pixel-size CSV one folder up, and nothing else there", async () => {
  const cases = await Deno.makeTempDir();
  try {
    const images = join(cases, "training_set");
    await Deno.mkdir(images);
    await Deno.writeFile(join(images, "000_HC.png"), new Uint8Array([1]));
    const sizes = join(cases, "training_set_pixel_size_and_HC.csv");
    await Deno.writeTextFile(sizes, "filename,pixel size(mm)\n000_HC.png,0.1\n");
    await Deno.writeTextFile(join(cases, "notes.csv"), "x");
    const ops = [`read:${sizes}`, `read:${join(cases, "notes.csv")}`];
    for (const input of [images, join(images, "000_HC.png")]) {
      const r = await launchProbe(["--input", input, ...ops]);
      assert.equal(r[ops[0]], "ok", `--input ${input}`);
      assert.equal(r[ops[1]], "NotCapable", `--input ${input}`);
    }
  } finally {
    await Deno.remove(cases, { recursive: true });
  }
});

Deno.test("an --out outside the project (file, folder, or name without extension) is written atomically", async () => {
  const outside = await Deno.makeTempDir();
  try {
    const file = join(outside, "preds.csv"), bare = join(outside, "not-yet", "mine");
    const ops = [`atomic:${file}`, `atomicdir:${bare}`, `atomic:${bare}`];
    for (const [out, op] of [[file, ops[0]], [bare, ops[1]], [bare, ops[2]]]) {
      const beside = `atomic:${join(outside, "..", "x.csv")}`;
      const r = await launchProbe(["--out", out, op, beside]);
      assert.equal(r[op], "ok", op);
      assert.equal(r[beside], "NotCapable", `${op}: only the output's own folder is granted`);
    }
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a path with a comma on the command line is refused in one line, status 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const labels = join(dir, "labels,v2.csv");
    await Deno.writeTextFile(labels, "x");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-run",
        LAUNCHER,
        "data",
        PROBE,
        `read:${labels}`,
        labels,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(
      stderr,
      /^launch: cannot grant access to a path containing a comma .*labels,v2\.csv/,
    );
    assert.doesNotMatch(stderr, /^\s+at /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the launcher exits with the script's status and rejects unknown profiles", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-run", LAUNCHER, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
  assert.equal((await run(["nosuch", PROBE])).code, 2);
  assert.equal((await run(["data", "lib/cli/does_not_exist.ts"])).code, 2);
  const tmp = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(tmp, "Deno.exit(7);");
    assert.equal((await run(["data", tmp])).code, 7);
  } finally {
    await Deno.remove(tmp);
  }
});
