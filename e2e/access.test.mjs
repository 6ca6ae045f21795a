// Issue 3, acceptance 4: the real @huggingface/hub client with READ tokens.
//
// Driven by TestAccessJSClientReadToken (e2e/access_node_test.go), which starts `quarry serve` on a
// fresh data directory, creates two private repos holding the same files and passes:
//   QUARRY_ENDPOINT                 server base URL
//   QUARRY_FILES                    JSON {path: sha256 of its content} of the files in both repos
//   QUARRY_USER, QUARRY_READ_TOKEN, QUARRY_REPO
//       the owner, a read token of hers, and her private repo
//   QUARRY_TEAM_USER, QUARRY_TEAM_READ_TOKEN, QUARRY_TEAM_REPO
//       a member of a team, a read token of his, and the private org repo granted read to the team
// A read token must download everything its user may read and be refused (403) on upload.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { whoAmI, modelInfo, listFiles, downloadFile, fileExists, uploadFile, createRepo } from "@huggingface/hub";

const hubUrl = required("QUARRY_ENDPOINT").replace(/\/+$/, "");
const files = JSON.parse(required("QUARRY_FILES"));
const readers = [
	{ who: "owner", user: required("QUARRY_USER"), token: required("QUARRY_READ_TOKEN"), repo: required("QUARRY_REPO") },
	{
		who: "team member",
		user: required("QUARRY_TEAM_USER"),
		token: required("QUARRY_TEAM_READ_TOKEN"),
		repo: required("QUARRY_TEAM_REPO"),
	},
];

function required(name) {
	const v = process.env[name];
	if (!v) {
		throw new Error(`environment variable ${name} is required (run through e2e/access_node_test.go)`);
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

/** rejectsWith asserts that promise fails with an HTTP error of the given status. */
async function rejectsWith(promise, status, what) {
	await assert.rejects(promise, (err) => {
		assert.equal(err.statusCode, status, `${what}: ${err.message}`);
		return true;
	});
}

for (const r of readers) {
	const repo = { type: "model", name: r.repo };
	const accessToken = r.token;

	test(`${r.who}: whoAmI reports the read role`, async () => {
		const me = await whoAmI({ hubUrl, accessToken });
		assert.equal(me.name, r.user);
		assert.equal(me.auth?.accessToken?.role, "read");
	});

	test(`${r.who}: modelInfo and listFiles of the private ${r.repo}`, async () => {
		const info = await modelInfo({ hubUrl, accessToken, name: r.repo });
		assert.equal(info.name, r.repo);
		assert.equal(info.private, true);
		const listed = (await collect(listFiles({ hubUrl, accessToken, repo, recursive: true }))).map((e) => e.path);
		for (const path of Object.keys(files)) {
			assert.ok(listed.includes(path), `${path} listed in ${listed.join(", ")}`);
		}
	});

	test(`${r.who}: downloadFile with the read token is byte-identical`, async () => {
		for (const [path, want] of Object.entries(files)) {
			const blob = await downloadFile({ hubUrl, accessToken, repo, path });
			assert.ok(blob, `${path} downloaded`);
			assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), want, `${path} sha256`);
		}
		assert.equal(await downloadFile({ hubUrl, accessToken, repo, path: "no/such/file" }), null);
	});

	test(`${r.who}: uploadFile with the read token is refused (403) and changes nothing`, async () => {
		await rejectsWith(
			uploadFile({ hubUrl, accessToken, repo, file: { path: "refused.txt", content: new Blob(["nope\n"]) } }),
			403,
			"uploadFile with a read token",
		);
		await rejectsWith(
			uploadFile({ hubUrl, accessToken, repo, file: { path: "refused.bin", content: new Blob([Buffer.alloc(2 << 20, 7)]) } }),
			403,
			"uploadFile of an LFS-sized file with a read token",
		);
		assert.equal(await fileExists({ hubUrl, accessToken, repo, path: "refused.txt" }), false);
		assert.equal(await fileExists({ hubUrl, accessToken, repo, path: "refused.bin" }), false);
	});

	test(`${r.who}: the read token cannot create a repo`, async () => {
		await rejectsWith(
			createRepo({ hubUrl, accessToken, repo: { type: "model", name: `${r.user}/made-with-read-token` } }),
			403,
			"createRepo with a read token",
		);
	});

	test(`${r.who}: without a token the private repo is hidden (401)`, async () => {
		const path = Object.keys(files)[0];
		await rejectsWith(downloadFile({ hubUrl, repo, path }), 401, "anonymous downloadFile");
		await rejectsWith(modelInfo({ hubUrl, name: r.repo }), 401, "anonymous modelInfo");
	});
}
