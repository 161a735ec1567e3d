# Reads a JSON list of SVG documents on stdin and prints, for each, a JSON object: whether it is
# well-formed XML, the element tags, attribute names, texts, and anything unsafe found. Used by
# the drawing tests so that a real XML parser, not our own code, judges the pictures.
import json, sys
import xml.etree.ElementTree as ET

SAFE_TAGS = {"svg", "g", "rect", "path", "line", "polyline", "circle", "text", "title", "style"}
NS = "{http://www.w3.org/2000/svg}"
results = []
for document in json.load(sys.stdin):
    try:
        root = ET.fromstring(document)
    except ET.ParseError as error:
        results.append({"ok": False, "error": str(error)})
        continue
    unsafe, texts = [], []
    for element in root.iter():
        tag = element.tag.replace(NS, "")
        if not element.tag.startswith(NS) or tag not in SAFE_TAGS:
            unsafe.append("element " + element.tag)
        for name, value in element.attrib.items():
            # aria-label carries the title as plain text, where "url(" means nothing.
            if name.lower().startswith("on") or "href" in name.lower() or (name != "aria-label" and ("url(" in value.lower() or "javascript:" in value.lower())):
                unsafe.append("attribute %s=%s" % (name, value))
        if tag == "style" and ("url(" in (element.text or "") or "@import" in (element.text or "")):
            unsafe.append("style with an external reference")
        if tag in ("text", "title"):
            texts.append("".join(element.itertext()))
    results.append({"ok": True, "root": root.tag.replace(NS, ""), "unsafe": unsafe, "texts": texts})
json.dump(results, sys.stdout)
