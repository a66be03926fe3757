// The live checks' decisions against Python's (progress.live_checks.reference_cases, progress.align.head_pose).
// Run: PROGRESS_PYTHON=/path/to/venv/bin/python node --test tests/js/
// (tests/test_capture_browser.py runs it with the test's own Python.)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

import {
  AutoShutter, convexHull, erode, evaluate, expressionMeasures, exposure, geometryMeasures, headPose, passes,
  sharpness, similarity2d,
} from "../../progress/capture/frontend/checks.js";

const python = process.env.PROGRESS_PYTHON || "python3";
const script = `
import json, sys
from skimage import data
from progress.landmarks import FaceLandmarker
from progress.live_checks import reference_cases
with FaceLandmarker() as landmarker:
    face = landmarker.detect(data.astronaut()).face
json.dump(reference_cases(face.landmarks.astype(float)), sys.stdout)
`;
const cases = JSON.parse(execFileSync(python, ["-c", script], { maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }));
const { settings } = cases;

test("head pose matches progress.align.head_pose on a real face turned in 3-D", () => {
  for (const { landmarks, expected } of cases.poses) {
    const pose = headPose(landmarks, settings.geometry.rigid_basis, settings.geometry.canonical_basis_3d);
    assert.ok(Math.abs(pose.yaw - expected[0]) < 0.05, `yaw ${pose.yaw} vs ${expected[0]}`);
    assert.ok(Math.abs(pose.pitch - expected[1]) < 0.05, `pitch ${pose.pitch} vs ${expected[1]}`);
    assert.ok(Math.abs(pose.roll - expected[2]) < 0.05, `roll ${pose.roll} vs ${expected[2]}`);
  }
});

test("every limit is decided as Python decides it, on both sides and at the limit", () => {
  assert.ok(cases.limits.length >= 4 * 15);
  for (const { name, value, expected } of cases.limits) {
    assert.equal(passes(name, value, settings.thresholds), expected, `${name} = ${value}`);
  }
});

test("the thresholds are Python's: head turn 5°, distance ±5 %", () => {
  assert.equal(settings.thresholds.distance_change, 0.05);
  assert.equal(settings.thresholds.head_yaw, 5);
});

test("each failing check says what to do; passing ones say nothing", () => {
  const { thresholds } = settings;
  const verdicts = evaluate({ head_pitch: 8, head_yaw: -1, distance_change: -0.2 }, thresholds, { distanceCm: 60 });
  const byName = Object.fromEntries(verdicts.map((v) => [v.name, v]));
  assert.equal(byName.head_pitch.text, "Chin down a little");
  assert.equal(byName.head_yaw.ok, true);
  assert.equal(byName.head_yaw.text, "");
  assert.equal(byName.distance_change.text, "Come about 10 cm closer");
});

test("geometry: a face at the first-session target passes framing; the baseline ratio drives distance", () => {
  const { landmarks } = cases.poses[0];
  const eye = [33, 133, 362, 263].reduce((s, i) => [s[0] + landmarks[i][0] / 4, s[1] + landmarks[i][1] / 4], [0, 0]);
  const [tx, ty] = settings.first_session_eye_target;
  const frame = { width: eye[0] / tx, height: eye[1] / ty, photoWidth: eye[0] / tx };
  const first = geometryMeasures(landmarks, settings, frame);
  assert.ok(Math.abs(first.measures.face_centre) < 1e-9);
  assert.ok(first.measures.face_size_px > 0);
  const ipdFraction = first.ipd / Math.hypot(frame.width, frame.height);
  const later = geometryMeasures(landmarks, { ...settings, baseline: { face_in_frame: ipdFraction * 1.1, eye_x: tx, eye_y: ty } }, frame);
  assert.ok(Math.abs(later.measures.distance_change - (1 / 1.1 - 1)) < 1e-9);
  assert.equal(passes("distance_change", later.measures.distance_change, settings.thresholds), false);
});

test("expression measures and verdicts equal progress.quality.expression_checks on known scores", () => {
  assert.ok(cases.expressions.length > 0);
  for (const { scores, expected } of cases.expressions) {
    const measures = expressionMeasures(scores);
    for (const [name, { value, limit, passes: pass }] of Object.entries(expected)) {
      assert.ok(Math.abs(measures[name] - value) < 1e-9, `${name}: ${measures[name]} vs ${value}`);
      assert.equal(settings.thresholds[name], limit, `${name} limit`);
      assert.equal(passes(name, measures[name], settings.thresholds), pass, `${name} = ${value}`);
    }
  }
});

test("expression measures follow progress.quality", () => {
  const m = expressionMeasures({ mouthSmileLeft: 0.2, mouthSmileRight: 0.4, browInnerUp: 0.1, browOuterUpLeft: 0.5,
    browOuterUpRight: 0.3, eyeBlinkLeft: 0.7, eyeBlinkRight: 0.1 });
  assert.ok(Math.abs(m.smile - 0.3) < 1e-12);
  assert.ok(Math.abs(m.brows_raised - 0.4) < 1e-12);
  assert.equal(m.eyes_closed, 0.7);
  assert.equal(m.jaw_open, 0);
  const lips = expressionMeasures({ mouthUpperUpLeft: 0.1, mouthUpperUpRight: 0.3, mouthLowerDownLeft: 0.2,
    browDownLeft: 0.5, browDownRight: 0.7 });
  assert.equal(lips.lips_apart, 0.3);
  assert.ok(Math.abs(lips.frown - 0.6) < 1e-12);
  assert.equal(passes("lips_apart", lips.lips_apart, settings.thresholds), false);
  assert.equal(passes("frown", lips.frown, settings.thresholds), true);
});

test("image measures: exposure fractions and a sharp pattern beats its blurred self", () => {
  const width = 40; const height = 40;
  const sharp = new Uint8ClampedArray(width * height * 4);
  const flat = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i += 1) {
    const v = ((i % width) + Math.floor(i / width)) % 2 ? 255 : 10;
    sharp.set([v, v, v, 255], 4 * i);
    const x = i % width;
    const w = 100 + 50 * Math.sin(x / 6);
    flat.set([w, w, w, 255], 4 * i);
  }
  const mask = erode(new Uint8Array(width * height).fill(1), width, height, 11);
  assert.equal(mask[0], 1);  // border pixels count as set, as cv2.erode's default border
  assert.ok(sharpness(sharp, width, height, mask) > sharpness(flat, width, height, mask));
  const e = exposure(sharp, new Uint8Array(width * height).fill(1));
  assert.ok(Math.abs(e.clipped_highlights - 0.5) < 1e-12);
  assert.ok(Math.abs(e.crushed_shadows - 0.5) < 1e-12);
});

test("similarity and hull helpers", () => {
  const t = similarity2d([[0, 0], [1, 0], [0, 1]], [[10, 10], [10, 12], [8, 10]]);
  assert.deepEqual(t.map((v) => Math.round(v * 1e9) / 1e9), [0, 2, -2, 0, 10, 10]);
  assert.equal(convexHull([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2]]).length, 4);
});

test("automatic shutter: half a second of green, then only after the client moved", () => {
  const shutter = new AutoShutter(0.5, 2);
  assert.equal(shutter.update(true, 0), false);
  assert.equal(shutter.update(true, 400), false);
  assert.equal(shutter.update(true, 500), true);
  assert.equal(shutter.waitingForStepAway(), true);
  assert.equal(shutter.update(true, 3000), false);
  assert.equal(shutter.update(true, 4000), false);  // still there, never moved: no second copy
  assert.equal(shutter.update(false, 4100), false);
  assert.equal(shutter.update(true, 4200), false);
  assert.equal(shutter.update(true, 4700), true);
});
