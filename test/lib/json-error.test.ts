import { describe, expect, it } from "vitest";
import { lineColumn, locateJsonFault } from "../../src/lib/json-error";

/** JSON.parse must refuse every text used here, or the case proves nothing about a real fault. */
function fault(text: string) {
  expect(() => JSON.parse(text), `JSON.parse accepted ${JSON.stringify(text)}`).toThrow();
  return locateJsonFault(text);
}

describe("locateJsonFault", () => {
  it("finds a trailing comma in an object, at the closing brace it precedes", () => {
    expect(fault('{"a": 1,}')).toEqual({ line: 1, column: 9, offset: 8, reason: 'trailing comma before "}"' });
  });

  it("finds a trailing comma in an object across lines (the seed page's fault)", () => {
    const text = '{\n"flow_bbl_d": 7.5,\n}';
    expect(fault(text)).toMatchObject({ line: 3, column: 1, reason: 'trailing comma before "}"' });
  });

  it("finds a trailing comma in an array, also after whitespace", () => {
    expect(fault("[1, 2,]")).toEqual({ line: 1, column: 7, offset: 6, reason: 'trailing comma before "]"' });
    expect(fault("[1, 2,  \n  ]")).toMatchObject({ line: 2, column: 3, reason: 'trailing comma before "]"' });
  });

  it("finds an unterminated string at the end of the text", () => {
    expect(fault('{"a": "abc')).toEqual({ line: 1, column: 11, offset: 10, reason: "unterminated string" });
    expect(fault('"abc')).toMatchObject({ line: 1, column: 5, reason: "unterminated string" });
  });

  it("finds a raw line break inside a string", () => {
    expect(fault('{"a": "b\nc"}')).toMatchObject({ line: 1, column: 9, reason: "control character in string (escape it)" });
  });

  it("finds a bad escape at its backslash", () => {
    expect(fault('{"a": "x\\qy"}')).toMatchObject({ line: 1, column: 9, reason: "invalid escape in string" });
    expect(fault('["\\u12G4"]')).toMatchObject({ line: 1, column: 3, reason: "invalid \\u escape" });
    expect(fault('["\\u12"]')).toMatchObject({ line: 1, column: 3, reason: "invalid \\u escape" });
  });

  it("accepts valid escapes before a later fault", () => {
    expect(fault('["\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9", ]')).toMatchObject({ column: 28, reason: 'trailing comma before "]"' });
  });

  it("finds a missing colon", () => {
    expect(fault('{"a" 1}')).toEqual({ line: 1, column: 6, offset: 5, reason: 'unexpected character "1", expected ":"' });
  });

  it("finds a missing comma between members and between items", () => {
    expect(fault('{"a": 1 "b": 2}')).toMatchObject({ line: 1, column: 9, reason: 'unexpected character "\\"", expected "," or "}"' });
    expect(fault("[1 2]")).toMatchObject({ line: 1, column: 4, reason: 'unexpected character "2", expected "," or "]"' });
  });

  it("finds an unquoted or single-quoted property name", () => {
    expect(fault("{a: 1}")).toMatchObject({ line: 1, column: 2, reason: expect.stringContaining("double-quoted property name") });
    expect(fault("{'a': 1}")).toMatchObject({ line: 1, column: 2, reason: expect.stringContaining("double-quoted property name") });
  });

  it("finds trailing garbage after the value", () => {
    expect(fault('{"a": 1} x')).toEqual({
      line: 1,
      column: 10,
      offset: 9,
      reason: 'unexpected character "x" after the end of the JSON value',
    });
    expect(fault('{"a": 1}\n{"b": 2}')).toMatchObject({ line: 2, column: 1, reason: expect.stringContaining("after the end") });
  });

  it("reports empty and blank input at its end", () => {
    expect(fault("")).toEqual({ line: 1, column: 1, offset: 0, reason: "unexpected end of input, expected a value" });
    expect(fault("  \n ")).toMatchObject({ line: 2, column: 2, offset: 4, reason: "unexpected end of input, expected a value" });
  });

  it("reports a text cut short at its end", () => {
    expect(fault('{"a": 1')).toMatchObject({ line: 1, column: 8, reason: 'unexpected end of input, expected "," or "}"' });
    expect(fault("[")).toMatchObject({ line: 1, column: 2, reason: "unexpected end of input, expected a value" });
    expect(fault('{"a":')).toMatchObject({ line: 1, column: 6, reason: "unexpected end of input, expected a value" });
  });

  it("finds misspelt literals and malformed numbers", () => {
    expect(fault("[tru]")).toMatchObject({ line: 1, column: 5, reason: 'unexpected character "]", expected "true"' });
    expect(fault("[nul")).toMatchObject({ line: 1, column: 5, reason: 'unexpected end of input, expected "null"' });
    expect(fault("[-]")).toMatchObject({ line: 1, column: 2, reason: expect.stringContaining("expected a value") });
    expect(fault("[01]")).toMatchObject({ line: 1, column: 3, reason: 'unexpected character "1", expected "," or "]"' });
    expect(fault("[.5]")).toMatchObject({ line: 1, column: 2, reason: expect.stringContaining("expected a value") });
    expect(fault("[NaN]")).toMatchObject({ line: 1, column: 2, reason: expect.stringContaining("expected a value") });
  });

  it("counts lines and columns the same across LF and CRLF line ends", () => {
    const lf = '{\n  "a": 1,\n  "b": [1, 2,]\n}';
    const crlf = lf.replace(/\n/g, "\r\n");
    expect(fault(lf)).toMatchObject({ line: 3, column: 14, reason: 'trailing comma before "]"' });
    expect(fault(crlf)).toMatchObject({ line: 3, column: 14, reason: 'trailing comma before "]"' });
    expect(fault(crlf).offset).toBe(fault(lf).offset + 2);
  });

  it("does not overflow on hostile nesting", () => {
    const deep = `${"[".repeat(200_000)}}`;
    expect(fault(deep)).toMatchObject({ line: 1, column: 200_001, reason: 'unexpected character "}", expected a value' });
  });
});

describe("lineColumn", () => {
  it("is 1-based and counts only LF as a line break", () => {
    expect(lineColumn("abc", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("a\nbc", 3)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("a\r\nbc", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("a\n", 2)).toEqual({ line: 2, column: 1 });
  });
});
