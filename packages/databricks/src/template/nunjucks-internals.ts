import nunjucks from "nunjucks";

/**
 * The parts of nunjucks' exported lexer, parser, compiler and node classes that the job template renderer
 * builds on, typed as far as it uses them. nunjucks exports them (`nunjucks.lexer`, `nunjucks.parser`,
 * `nunjucks.compiler`, `nunjucks.nodes`) for precompilation and extensions; @types/nunjucks does not
 * describe them.
 */

/** A lexer token. */
export interface NjToken {
  type: string;
  value: unknown;
  lineno: number;
  colno: number;
}

/** nunjucks' Tokenizer (the fields and methods used here). */
export interface NjTokenizer {
  str: string;
  index: number;
  lineno: number;
  colno: number;
  in_code: boolean;
  isFinished(): boolean;
  forwardN(n: number): void;
  nextToken(): NjToken | null;
}

/** A node of the template syntax tree. */
export interface NjNode {
  typename: string;
  lineno: number;
  colno: number;
  fields: string[];
  value?: unknown;
  children?: NjNode[];
  body?: NjNode | null;
  name?: NjNode;
  target?: NjNode;
  val?: NjNode;
  args?: NjNode;
  targets?: NjNode[];
  left?: NjNode;
  right?: NjNode;
  [field: string]: unknown;
}

/** nunjucks' Compiler (the fields and methods used here). */
export interface NjCompiler {
  buffer: string;
  bufferStack: string[];
  _scopeClosers: string;
  _tmpid(): string;
  _emit(code: string): void;
  _emitLine(code: string): void;
  _withScopedSyntax(fn: () => void): void;
  _emitFuncBegin(node: NjNode, name: string): void;
  _pushBuffer(): string;
  compile(node: NjNode, frame: unknown): void;
  compileLiteral(node: NjNode, frame: unknown): void;
  compileOutput(node: NjNode, frame: unknown): void;
  compileCapture(node: NjNode, frame: unknown): void;
  getCode(): string;
}

interface NjModules {
  lexer: { lex(src: string, opts: object): NjTokenizer } & Record<string, unknown>;
  parser: { Parser: new (tokens: NjTokenizer) => { extensions: unknown[]; parseAsRoot(): NjNode } };
  compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => NjCompiler };
}

/** nunjucks' lexer, parser, compiler and nodes modules. */
export const nj = nunjucks as unknown as NjModules;

/** The lexer's token type names. */
export const TOKEN = {
  variableStart: nj.lexer.TOKEN_VARIABLE_START as string,
  variableEnd: nj.lexer.TOKEN_VARIABLE_END as string,
  string: nj.lexer.TOKEN_STRING as string,
};

/** The nodes a node holds (its fields, and a block `{% set %}`'s body, which nunjucks keeps outside them). */
export function childNodes(node: NjNode): NjNode[] {
  const out: NjNode[] = [];
  const add = (v: unknown) => {
    if (v && typeof v === "object" && typeof (v as NjNode).typename === "string") out.push(v as NjNode);
  };
  for (const field of node.fields) {
    const v = node[field];
    if (Array.isArray(v)) v.forEach(add);
    else add(v);
  }
  if (node.typename === "Set") add(node.body);
  return out;
}
