// End-to-end test of Quarry with the real @huggingface/hub client (issue #2, acceptance 2).
//
// Driven by e2e/hubclient_test.go, which starts `quarry serve` on a fresh data directory and passes
// QUARRY_ENDPOINT (server base URL), QUARRY_TOKEN (a write token) and QUARRY_USER (its user name).
// The tests of this file run in order and share the repos they create.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
	whoAmI,
	createRepo,
	uploadFiles,
	listFiles,
	downloadFile,
	fileExists,
	modelInfo,
	datasetInfo,
	listModels,
	createBranch,
	listCommits,
	countCommits,
	deleteRepo,
} from "@huggingface/hub";

const hubUrl = required("QUARRY_ENDPOINT").replace(/\/+$/, "");
const accessToken = required("QUARRY_TOKEN");
const user = required("QUARRY_USER");

const MiB = 1024 * 1024;
const suffix = randomBytes(3).toString("hex");
const modelName = `${user}/e2e-model-${suffix}`;
const model = { type: "model", name: modelName };
const dataset = { type: "dataset", name: `${user}/e2e-data-${suffix}` };

const readme = `---
license: mit
pipeline_tag: image-classification
tags:
  - e2e
---

# E2E model

Uploaded by the Quarry end-to-end test.
`;

/** Files uploaded to the model repo, keyed by path. */
const files = new Map([
	["notes.txt", Buffer.from("hello from the quarry e2e test\n")],
	["README.md", Buffer.from(readme)],
	["weights/small.bin", randomBytes(15 * MiB)],
	["weights/large.bin", randomBytes(60 * MiB)],
]);

/** Every request the client sent, with the parsed body of LFS batch responses. */
const requests = [];

/** recordingFetch wraps the global fetch to observe the protocol the client actually used. */
async function recordingFetch(input, init) {
	const url = typeof input === "string" ? input : input.url;
	const method = init?.method ?? "GET";
	const res = await fetch(input, init);
	const entry = { url, method, status: res.status };
	if (url.includes("/info/lfs/objects/batch") && res.ok) {
		entry.batch = await res.clone().json();
	}
	requests.push(entry);
	return res;
}

function required(name) {
	const v = process.env[name];
	if (!v) {
		throw new Error(`environment variable ${name} is required (run through e2e/hubclient_test.go)`);
	}
	return v;
}

function sha256(buf) {
	return createHash("sha256").update(buf).digest("hex");
}

async function collect(iter) {
	const out = [];
	for await (const x of iter) {
		out.push(x);
	}
	return out;
}

test("whoAmI names the token's user", async () => {
	const me = await whoAmI({ hubUrl, accessToken });
	assert.equal(me.name, user);
	assert.equal(me.type, "user");
	assert.ok(me.auth, "whoami-v2 must carry auth");
});

test("createRepo: public model, private dataset, second create is 409", async () => {
	const m = await createRepo({ hubUrl, accessToken, repo: model, visibility: "public" });
	assert.equal(m.repoUrl, `${hubUrl}/${modelName}`);
	const d = await createRepo({ hubUrl, accessToken, repo: dataset, visibility: "private" });
	assert.equal(d.repoUrl, `${hubUrl}/datasets/${dataset.name}`);

	await assert.rejects(createRepo({ hubUrl, accessToken, repo: model }), (err) => {
		assert.equal(err.statusCode, 409, `second create: ${err.message}`);
		return true;
	});
	await assert.rejects(createRepo({ hubUrl, accessToken, repo: dataset, visibility: "private" }), (err) => {
		assert.equal(err.statusCode, 409, `second create: ${err.message}`);
		return true;
	});
});

test("uploadFiles: text, README, 15 MiB (basic) and 60 MiB (multipart) binaries", async () => {
	const out = await uploadFiles({
		hubUrl,
		accessToken,
		repo: model,
		fetch: recordingFetch,
		commitTitle: "Add e2e files",
		files: [...files].map(([path, buf]) => ({ path, content: new Blob([buf]) })),
	});
	assert.match(out.commit.oid, /^[0-9a-f]{40}$/);
	assert.equal(out.commit.url, `${hubUrl}/${modelName}/commit/${out.commit.oid}`);

	const batches = requests.filter((r) => r.batch);
	assert.ok(batches.length >= 1, "the client must have called the LFS batch API");
	const objects = batches.flatMap((b) => b.batch.objects.map((o) => ({ ...o, transfer: b.batch.transfer })));
	const large = objects.find((o) => o.oid === sha256(files.get("weights/large.bin")));
	assert.ok(large, "60 MiB file must go through LFS");
	assert.equal(large.transfer, "multipart");
	const header = large.actions.upload.header;
	const chunk = Number(header.chunk_size);
	const parts = Object.keys(header).filter((k) => /^\d+$/.test(k));
	assert.equal(parts.length, Math.ceil(large.size / chunk));
	assert.ok(parts.length > 1, "60 MiB must be split into several parts");
	const partPuts = requests.filter((r) => r.method === "PUT" && parts.some((p) => r.url === header[p]));
	assert.equal(partPuts.length, parts.length, "every part must have been PUT");
	assert.ok(requests.some((r) => r.method === "POST" && r.url === large.actions.upload.href && r.status === 200));

	const small = objects.find((o) => o.oid === sha256(files.get("weights/small.bin")));
	assert.ok(small, "15 MiB file must go through LFS");
	assert.ok(small.actions?.upload?.href, "15 MiB file needs an upload action");
});

test("listFiles: recursive listing with sizes and lfs.oid", async () => {
	const entries = await collect(listFiles({ hubUrl, accessToken, repo: model, recursive: true }));
	const byPath = new Map(entries.map((e) => [e.path, e]));
	assert.ok(byPath.has(".gitattributes"), "initial commit must hold .gitattributes");
	assert.equal(byPath.get("weights")?.type, "directory");
	for (const [path, buf] of files) {
		const e = byPath.get(path);
		assert.ok(e, `${path} listed`);
		assert.equal(e.type, "file");
		assert.equal(e.size, buf.length, `${path} size`);
		assert.match(e.oid, /^[0-9a-f]{40}$/);
	}
	for (const path of ["weights/small.bin", "weights/large.bin"]) {
		const e = byPath.get(path);
		assert.equal(e.lfs?.oid, sha256(files.get(path)), `${path} lfs.oid`);
		assert.equal(e.lfs?.size, files.get(path).length);
	}
	assert.equal(byPath.get("notes.txt").lfs, undefined, "small text file is a regular file");

	const top = await collect(listFiles({ hubUrl, accessToken, repo: model, expand: true }));
	assert.ok(!top.some((e) => e.path.includes("/")), "non-recursive listing stays at the root");
	for (const e of top) {
		assert.match(e.lastCommit?.id ?? "", /^[0-9a-f]{40}$/, `${e.path} lastCommit with expand`);
	}
});

test("downloadFile: byte-identical content, null for a missing path", async () => {
	for (const [path, buf] of files) {
		const blob = await downloadFile({ hubUrl, accessToken, repo: model, path });
		assert.ok(blob, `${path} downloaded`);
		const got = Buffer.from(await blob.arrayBuffer());
		assert.equal(got.length, buf.length, `${path} length`);
		assert.equal(sha256(got), sha256(buf), `${path} sha256`);
	}
	const raw = await downloadFile({ hubUrl, accessToken, repo: model, path: "weights/small.bin", raw: true });
	const pointer = await raw.text();
	assert.match(pointer, new RegExp(`^version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(files.get("weights/small.bin"))}\nsize ${15 * MiB}\n$`));

	assert.equal(await downloadFile({ hubUrl, accessToken, repo: model, path: "no/such/file.txt" }), null);
});

test("fileExists: true for uploaded files, false otherwise", async () => {
	assert.equal(await fileExists({ hubUrl, accessToken, repo: model, path: "notes.txt" }), true);
	assert.equal(await fileExists({ hubUrl, accessToken, repo: model, path: "weights/large.bin" }), true);
	assert.equal(await fileExists({ hubUrl, accessToken, repo: model, path: "missing.txt" }), false);
});

test("modelInfo and datasetInfo: private flag and task from pipeline_tag", async () => {
	const m = await modelInfo({ hubUrl, accessToken, name: modelName, additionalFields: ["sha", "cardData"] });
	assert.equal(m.name, modelName);
	assert.equal(m.private, false);
	assert.equal(m.task, "image-classification");
	assert.match(m.sha, /^[0-9a-f]{40}$/);
	assert.equal(m.cardData?.license, "mit");

	const anon = await modelInfo({ hubUrl, name: modelName });
	assert.equal(anon.task, "image-classification", "public model readable without a token");

	const d = await datasetInfo({ hubUrl, accessToken, name: dataset.name });
	assert.equal(d.name, dataset.name);
	assert.equal(d.private, true);
	await assert.rejects(datasetInfo({ hubUrl, name: dataset.name }), (err) => {
		assert.equal(err.statusCode, 401, `anonymous read of a private dataset: ${err.message}`);
		return true;
	});
});

test("listModels: pagination across more repos than the page size, each seen once", async () => {
	const pageSize = 3;
	const extra = [];
	for (let i = 0; i < 7; i++) {
		const name = `${user}/e2e-page-${suffix}-${i}`;
		await createRepo({ hubUrl, accessToken, repo: { type: "model", name } });
		extra.push(name);
	}
	const expected = new Set([modelName, ...extra]);

	// The client uses `limit` both as page size and as a total cap, so ask for everything and shrink
	// the page size of the first request: later pages follow the server's Link header unchanged.
	const urls = [];
	const smallPages = async (input, init) => {
		let url = String(input);
		if (urls.length === 0) {
			url = url.replace(/([?&])limit=\d+/, `$1limit=${pageSize}`);
		}
		urls.push(url);
		return fetch(url, init);
	};
	const seen = await collect(listModels({ hubUrl, accessToken, search: { owner: user }, fetch: smallPages }));
	const names = seen.map((m) => m.name);
	assert.equal(new Set(names).size, names.length, `no model seen twice: ${names.join(", ")}`);
	assert.deepEqual(new Set(names), expected);
	assert.ok(urls.length >= Math.ceil(expected.size / pageSize), `followed Link pages: ${urls.length} requests`);
	assert.ok(!names.includes(dataset.name), "datasets are not models");

	const capped = await collect(listModels({ hubUrl, accessToken, search: { owner: user }, limit: pageSize }));
	assert.equal(capped.length, pageSize);
});

test("createBranch, listCommits, countCommits", async () => {
	const commits = await collect(listCommits({ hubUrl, accessToken, repo: model }));
	assert.equal(commits.length, 2, "initial commit + upload");
	assert.equal(commits[0].title, "Add e2e files");
	assert.equal(commits.at(-1).title, "initial commit");
	for (const c of commits) {
		assert.match(c.oid, /^[0-9a-f]{40}$/);
		assert.ok(!Number.isNaN(c.date.getTime()), "commit date parses");
	}
	assert.equal(await countCommits({ hubUrl, accessToken, repo: model }), commits.length);

	await createBranch({ hubUrl, accessToken, repo: model, branch: "dev" });
	await assert.rejects(createBranch({ hubUrl, accessToken, repo: model, branch: "dev" }), (err) => {
		assert.equal(err.statusCode, 409, `second createBranch: ${err.message}`);
		return true;
	});
	await uploadFiles({
		hubUrl,
		accessToken,
		repo: model,
		branch: "dev",
		commitTitle: "Dev only",
		files: [{ path: "dev.txt", content: new Blob(["dev branch\n"]) }],
	});
	assert.equal(await countCommits({ hubUrl, accessToken, repo: model, revision: "dev" }), commits.length + 1);
	assert.equal(await countCommits({ hubUrl, accessToken, repo: model }), commits.length, "main untouched");
	const dev = await collect(listCommits({ hubUrl, accessToken, repo: model, revision: "dev" }));
	assert.equal(dev[0].title, "Dev only");
	assert.equal(dev[1].oid, commits[0].oid);
	assert.equal(await fileExists({ hubUrl, accessToken, repo: model, path: "dev.txt", revision: "dev" }), true);
	assert.equal(await fileExists({ hubUrl, accessToken, repo: model, path: "dev.txt" }), false);
});

test("deleteRepo: the repo is gone afterwards", async () => {
	await deleteRepo({ hubUrl, accessToken, repo: model });
	await assert.rejects(modelInfo({ hubUrl, accessToken, name: modelName }), (err) => {
		assert.equal(err.statusCode, 404, `modelInfo after delete: ${err.message}`);
		return true;
	});
	await deleteRepo({ hubUrl, accessToken, repo: dataset });
	await assert.rejects(datasetInfo({ hubUrl, accessToken, name: dataset.name }), (err) => {
		assert.equal(err.statusCode, 404, `datasetInfo after delete: ${err.message}`);
		return true;
	});
});
