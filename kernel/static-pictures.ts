// The bundle step that adds a static picture (image/svg+xml, drawn by display/draw) beside each
// rich payload, for frontends without our renderers. AGNB_STATIC_PICTURES=off leaves bundles as
// the engine made them (the VS Code setting autogradNotebook.staticPictures sets it).
import type { MimeBundle } from "../display/contract";
import { addStaticPicture } from "../display/draw";

export function staticPicturesEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(off|false|0|no)$/i.test(env.AGNB_STATIC_PICTURES ?? "");
}

const enabled = staticPicturesEnabled();

export function withStaticPictures(bundle: MimeBundle): MimeBundle {
  return enabled ? addStaticPicture(bundle) : bundle;
}
