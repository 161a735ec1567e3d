// markdown-it ships no declarations; this is the part of its API the HTML export uses.
declare module "markdown-it" {
  interface MarkdownIt { render(source: string): string }
  const MarkdownIt: new (options?: { html?: boolean; linkify?: boolean; typographer?: boolean }) => MarkdownIt;
  export default MarkdownIt;
}
