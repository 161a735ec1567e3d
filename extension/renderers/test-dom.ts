// A fresh happy-dom document per test, so render functions run against a real DOM
// implementation and tests can query what they drew.
import { Window } from "happy-dom";
import { after } from "node:test";

export function makeOutputElement(): HTMLElement {
  const window = new Window();
  after(() => window.happyDOM.close());
  const element = window.document.createElement("div");
  window.document.body.append(element);
  return element as unknown as HTMLElement;
}

export function texts(element: Element, selector: string): string[] {
  return [...element.querySelectorAll(selector)].map((node) => node.textContent ?? "");
}
