/**
 * AWS Signature V4 presigned URLs: the signer reproduces AWS's documented example, and the verifier
 * (the worker upload backend's) accepts exactly what was signed and nothing else.
 */
import { describe, expect, it } from "vitest";
import { presignUrl } from "../../src/upload/presign";
import { UploadRefusal } from "../../src/upload/s3-xml";
import { toUploadKey } from "../../src/upload/signing-key";
import { verifyPresignedRequest } from "../../src/upload/verify";

/** https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html, "An example". */
const AWS_EXAMPLE = {
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1" },
  url: "https://examplebucket.s3.amazonaws.com/test.txt",
  datetime: "20130524T000000Z",
  expires: 86400,
  signature: "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
};

async function refusal(promise: Promise<unknown>): Promise<UploadRefusal> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadRefusal);
  return error as UploadRefusal;
}

describe("presignUrl (aws4fetch, query signing)", () => {
  it("reproduces AWS's documented presigned-URL example signature", async () => {
    const presigned = await presignUrl(AWS_EXAMPLE.credentials, {
      url: AWS_EXAMPLE.url,
      method: "GET",
      headers: {},
      expiresSeconds: AWS_EXAMPLE.expires,
      datetime: AWS_EXAMPLE.datetime,
    });
    const url = new URL(presigned.url);
    expect(`${url.origin}${url.pathname}`).toBe(AWS_EXAMPLE.url);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
      "X-Amz-Date": "20130524T000000Z",
      "X-Amz-Expires": "86400",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": AWS_EXAMPLE.signature,
    });
    expect(presigned.expiresAt).toBe("2013-05-25T00:00:00.000Z");
  });

  it("signs the headers it is given (content-type, content-length, checksum) into the URL", async () => {
    const presigned = await presignUrl(AWS_EXAMPLE.credentials, {
      url: AWS_EXAMPLE.url,
      method: "PUT",
      headers: { "content-type": "text/csv", "content-length": "12", "x-amz-checksum-sha256": `${"x".repeat(43)}=` },
      expiresSeconds: 900,
      datetime: AWS_EXAMPLE.datetime,
    });
    const url = new URL(presigned.url);
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host;x-amz-checksum-sha256");
    expect(url.searchParams.get("X-Amz-Signature")).not.toBe(AWS_EXAMPLE.signature);
  });
});

describe("verifyPresignedRequest", () => {
  const exampleKey = { accessKeyId: AWS_EXAMPLE.credentials.accessKeyId, secretAccessKey: AWS_EXAMPLE.credentials.secretAccessKey };
  const exampleUrl = () =>
    `${AWS_EXAMPLE.url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request` +
    `&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=${AWS_EXAMPLE.signature}`;
  const verifyExample = (url: string, now: string, init: RequestInit = {}) =>
    verifyPresignedRequest(new Request(url, init), [exampleKey], "us-east-1", { now: new Date(now), requiredSignedHeaders: ["host"] });

  it("accepts AWS's example URL as published, within its day", async () => {
    const verified = await verifyExample(exampleUrl(), "2013-05-24T12:00:00Z");
    expect(verified.accessKeyId).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(verified.expiresAt.toISOString()).toBe("2013-05-25T00:00:00.000Z");
  });

  it("refuses it one second after it expired, and before it was signed (beyond the clock skew)", async () => {
    expect((await refusal(verifyExample(exampleUrl(), "2013-05-25T00:00:01Z"))).message).toMatch(/expired/);
    expect((await refusal(verifyExample(exampleUrl(), "2013-05-23T23:40:00Z"))).message).toMatch(/not yet valid/);
  });

  it("refuses a changed path, method, query parameter, signature or key", async () => {
    const now = "2013-05-24T12:00:00Z";
    const cases: Array<[string, string, RequestInit?]> = [
      ["path", exampleUrl().replace("/test.txt", "/test2.txt")],
      ["method", exampleUrl(), { method: "PUT", body: "x" }],
      ["extra parameter", `${exampleUrl()}&acl=public-read`],
      ["expiry", exampleUrl().replace("X-Amz-Expires=86400", "X-Amz-Expires=86401")],
      ["date", exampleUrl().replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524T000001Z")],
      ["signature", exampleUrl().replace(AWS_EXAMPLE.signature, `${AWS_EXAMPLE.signature.slice(0, -1)}5`)],
      ["host", exampleUrl().replace("examplebucket.", "otherbucket.")],
    ];
    for (const [what, url, init] of cases) {
      const error = await refusal(verifyExample(url, now, init));
      expect(error.status, what).toBe(403);
      expect(error.code, what).toMatch(/SignatureDoesNotMatch|AuthorizationQueryParametersError/);
    }
    const otherKey = { ...exampleKey, secretAccessKey: "another-secret" };
    const wrongKey = await refusal(
      verifyPresignedRequest(new Request(exampleUrl()), [otherKey], "us-east-1", { now: new Date(now), requiredSignedHeaders: ["host"] }),
    );
    expect(wrongKey.code).toBe("SignatureDoesNotMatch");
    const unknownKey = await refusal(
      verifyPresignedRequest(new Request(exampleUrl()), [{ ...exampleKey, accessKeyId: "AKIAOTHER" }], "us-east-1", {
        now: new Date(now),
        requiredSignedHeaders: ["host"],
      }),
    );
    expect(unknownKey.code).toBe("InvalidAccessKeyId");
  });

  it("requires the upload URL's signed content type, and checks every signed header's value", async () => {
    const key = await toUploadKey("a-test-upload-signing-key");
    const presigned = await presignUrl(
      { ...key, region: "auto" },
      { url: "http://data-api.test/uploads/a/b/c.csv", method: "PUT", headers: { "content-type": "text/csv" }, expiresSeconds: 60 },
    );
    const put = (headers: Record<string, string>) => new Request(presigned.url, { method: "PUT", headers, body: "a,b\n" });
    await expect(verifyPresignedRequest(put({ "content-type": "text/csv" }), [key], "auto")).resolves.toMatchObject({
      signedHeaders: ["content-type", "host"],
    });
    expect((await refusal(verifyPresignedRequest(put({ "content-type": "text/plain" }), [key], "auto"))).code).toBe(
      "SignatureDoesNotMatch",
    );
    expect((await refusal(verifyPresignedRequest(put({}), [key], "auto"))).code).toBe("SignatureDoesNotMatch");
    expect((await refusal(verifyPresignedRequest(put({ "content-type": "text/csv", "x-amz-meta-a": "1" }), [key], "auto"))).code).toBe(
      "AccessDenied",
    );
    // A URL whose signature does not cover the content type is not an upload URL (even if genuine).
    const hostOnly = await presignUrl(
      { ...key, region: "auto" },
      { url: "http://data-api.test/uploads/a/b/c.csv", method: "PUT", headers: {}, expiresSeconds: 60 },
    );
    expect((await refusal(verifyPresignedRequest(new Request(hostOnly.url, { method: "PUT", body: "x" }), [key], "auto"))).code).toBe(
      "AuthorizationQueryParametersError",
    );
    // Another region's scope is refused.
    expect((await refusal(verifyPresignedRequest(put({ "content-type": "text/csv" }), [key], "us-east-1"))).code).toBe(
      "AuthorizationQueryParametersError",
    );
  });

  it("refuses repeated query parameters (a second value would not be covered by the signature)", async () => {
    const error = await refusal(verifyExample(`${exampleUrl()}&X-Amz-Expires=604800`, "2013-05-24T12:00:00Z"));
    expect(error.code).toBe("AuthorizationQueryParametersError");
  });
});
