// The live capture checks: pure functions, no DOM, no camera (node --test tests/js/ runs them).
// Every limit comes from Python (progress/live_checks.py → component_settings), which reads progress/quality.py:
// the browser and the server hold a photo to the same thresholds.

/** Largest-eigenvalue eigenvector of a symmetric 4×4 matrix (Jacobi rotations). */
function topEigenvector(matrix) {
  const a = matrix.map((row) => row.slice());
  const v = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  for (let sweep = 0; sweep < 50; sweep += 1) {
    let off = 0;
    for (let p = 0; p < 4; p += 1) for (let q = p + 1; q < 4; q += 1) off += a[p][q] * a[p][q];
    if (off < 1e-22) break;
    for (let p = 0; p < 4; p += 1) {
      for (let q = p + 1; q < 4; q += 1) {
        if (Math.abs(a[p][q]) < 1e-30) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 4; k += 1) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < 4; k += 1) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 4; k += 1) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i += 1) if (a[i][i] > a[best][best]) best = i;
  return [v[0][best], v[1][best], v[2][best], v[3][best]];
}

/**
 * Head yaw, pitch and roll in degrees, as progress.align.head_pose computes them: the rigid basis, turned into
 * x right / y up / z toward the camera, fitted by a rotation onto the canonical vertices (Horn's quaternion
 * method: the same least-squares rotation as Umeyama's), H = Rᵀ, yaw = atan2(H02, H22), pitch = asin(H12),
 * roll = atan2(H10, H00).
 * @param {number[][]} landmarks 478 × [x, y, z] in pixels (x column, y row, z as MediaPipe's, scaled by width).
 * @param {number[]} basis rigid-basis landmark indices.
 * @param {number[][]} canonical the canonical face's vertices at those indices (cm, y up, z toward viewer).
 */
export function headPose(landmarks, basis, canonical) {
  const source = basis.map((i) => [landmarks[i][0], -landmarks[i][1], -landmarks[i][2]]);
  const mean = (points) => [0, 1, 2].map((k) => points.reduce((sum, p) => sum + p[k], 0) / points.length);
  const ms = mean(source);
  const mt = mean(canonical);
  const s = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (let n = 0; n < source.length; n += 1) {
    for (let i = 0; i < 3; i += 1) {
      for (let j = 0; j < 3; j += 1) s[i][j] += (source[n][i] - ms[i]) * (canonical[n][j] - mt[j]);
    }
  }
  const [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
  const n = [
    [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
    [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
    [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
    [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
  ];
  const [w, x, y, z] = topEigenvector(n);
  // R maps source onto canonical; H = Rᵀ.
  const r = [
    [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
  ];
  const h = (i, j) => r[j][i];
  const degrees = (radians) => (radians * 180) / Math.PI;
  return {
    yaw: degrees(Math.atan2(h(0, 2), h(2, 2))),
    pitch: degrees(Math.asin(Math.max(-1, Math.min(1, h(1, 2))))),
    roll: degrees(Math.atan2(h(1, 0), h(0, 0))),
  };
}

/**
 * Least-squares similarity (rotation, uniform scale, translation) taking 2-D points `source` onto `target`.
 * @returns {number[]} [a, b, c, d, e, f] for canvas setTransform: x' = a x + c y + e, y' = b x + d y + f.
 */
export function similarity2d(source, target) {
  const count = source.length;
  let sx = 0; let sy = 0; let tx = 0; let ty = 0;
  for (let i = 0; i < count; i += 1) {
    sx += source[i][0]; sy += source[i][1]; tx += target[i][0]; ty += target[i][1];
  }
  sx /= count; sy /= count; tx /= count; ty /= count;
  let dot = 0; let cross = 0; let norm = 0;
  for (let i = 0; i < count; i += 1) {
    const px = source[i][0] - sx; const py = source[i][1] - sy;
    const qx = target[i][0] - tx; const qy = target[i][1] - ty;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  const a = dot / norm;
  const b = cross / norm;
  return [a, b, -b, a, tx - (a * sx - b * sy), ty - (b * sx + a * sy)];
}

/** The mean of named blendshape scores (0 when absent), as progress.quality's _mean. */
function mean(scores, ...names) {
  return names.reduce((sum, name) => sum + (scores[name] ?? 0), 0) / names.length;
}

const LIPS_APART = ["mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight"];

/** Expression measures from MediaPipe's 52 blendshapes, computed as progress.quality.photo_checks does. */
export function expressionMeasures(scores) {
  return {
    smile: mean(scores, "mouthSmileLeft", "mouthSmileRight"),
    jaw_open: scores.jawOpen ?? 0,
    brows_raised: Math.max(scores.browInnerUp ?? 0, mean(scores, "browOuterUpLeft", "browOuterUpRight")),
    squint: mean(scores, "eyeSquintLeft", "eyeSquintRight"),
    eyes_closed: Math.max(scores.eyeBlinkLeft ?? 0, scores.eyeBlinkRight ?? 0),
    mouth_sideways: Math.max(...["mouthLeft", "mouthRight", "jawLeft", "jawRight"].map((name) => scores[name] ?? 0)),
    pucker: Math.max(scores.mouthPucker ?? 0, scores.mouthFunnel ?? 0),
    cheek_puff: scores.cheekPuff ?? 0,
    lips_apart: Math.max(...LIPS_APART.map((name) => scores[name] ?? 0)),
    frown: mean(scores, "browDownLeft", "browDownRight"),
  };
}

const AT_LEAST = new Set(["sharpness", "skin_highlight_luma", "face_size_px"]);

/** Whether one measure passes: as progress.live_checks.evaluate (and quality's _graded / _graded_low). */
export function passes(name, value, thresholds) {
  if (value === null || value === undefined || Number.isNaN(value)) return true;
  return AT_LEAST.has(name) ? value >= thresholds[name] : Math.abs(value) <= thresholds[name];
}

function roundTo(value, step) {
  return Math.max(step, Math.round(value / step) * step);
}

/** The plain instruction for a failing check (addressed to the client, in their own left and right). */
export function instruction(name, value, context = {}) {
  switch (name) {
    case "head_yaw": return value > 0 ? "Turn your head a little to your right" : "Turn your head a little to your left";
    case "head_pitch": return value > 0 ? "Chin down a little" : "Chin up a little";
    case "head_roll": return value > 0 ? "Tilt your head a little to your left" : "Tilt your head a little to your right";
    case "distance_change": {
      const cm = context.distanceCm ? roundTo(Math.abs(value) * context.distanceCm, 5) : null;
      if (value > 0) return cm ? `Move back about ${cm} cm` : "Move back a little";
      return cm ? `Come about ${cm} cm closer` : "Come a little closer";
    }
    case "face_size_px": return "Come closer: the face is too small in the picture";
    case "face_centre": return context.direction || "Centre your face in the picture";
    case "smile": return "Relax your mouth: neutral face";
    case "jaw_open": return "Close your mouth gently";
    case "brows_raised": return "Relax your forehead";
    case "squint": return "Relax your eyes";
    case "eyes_closed": return "Open both eyes and look at the lens";
    case "mouth_sideways": return "Relax your mouth and jaw: keep them centred";
    case "pucker": return "Relax your lips";
    case "cheek_puff": return "Relax your cheeks";
    case "lips_apart": return "Close your lips gently";
    case "frown": return "Relax your brows: no frown";
    case "sharpness": return "Hold still: the picture is blurred";
    case "skin_highlight_luma": return "Too dark: more light on the face";
    case "clipped_highlights": return "Too bright on the face: soften the light";
    case "crushed_shadows": return "Too dark: face the window or lamp";
    default: return name;
  }
}

export const LABELS = {
  face: "Face", head_yaw: "Head turn", head_pitch: "Chin", head_roll: "Head tilt", distance_change: "Distance",
  face_size_px: "Face size", face_centre: "Framing", smile: "Mouth", jaw_open: "Mouth closed",
  brows_raised: "Forehead", squint: "Eyes relaxed", eyes_closed: "Eyes open", mouth_sideways: "Mouth centred",
  pucker: "Lips relaxed", cheek_puff: "Cheeks relaxed", lips_apart: "Lips together", frown: "Brows relaxed",
  sharpness: "Sharpness",
  skin_highlight_luma: "Exposure", clipped_highlights: "Highlights", crushed_shadows: "Shadows",
};

/**
 * Every check for one frame.
 * @param {object} measures name → value (null when not measured yet); see liveMeasures.
 * @param {object} thresholds from component_settings().thresholds.
 * @param {object} context {distanceCm, direction} for the wording.
 * @returns {{name: string, label: string, ok: boolean, text: string}[]}
 */
export function evaluate(measures, thresholds, context = {}) {
  return Object.entries(measures).map(([name, value]) => {
    const ok = passes(name, value, thresholds);
    return { name, label: LABELS[name] ?? name, ok, text: ok ? "" : instruction(name, value, context) };
  });
}

/**
 * The geometric measures of one frame.
 * @param {number[][]} landmarks in video pixels.
 * @param {object} settings component_settings().
 * @param {{width: number, height: number, photoWidth: number}} frame video size and the still's width.
 */
export function geometryMeasures(landmarks, settings, frame) {
  const { geometry, baseline } = settings;
  const pose = headPose(landmarks, geometry.rigid_basis, geometry.canonical_basis_3d);
  const [right, left] = geometry.iris;
  const ipd = Math.hypot(landmarks[right][0] - landmarks[left][0], landmarks[right][1] - landmarks[left][1]);
  const corners = geometry.eye_corners.flat();
  const eyeX = corners.reduce((sum, i) => sum + landmarks[i][0], 0) / corners.length;
  const eyeY = corners.reduce((sum, i) => sum + landmarks[i][1], 0) / corners.length;
  const diagonal = Math.hypot(frame.width, frame.height);
  const target = baseline && baseline.eye_x !== null ? [baseline.eye_x, baseline.eye_y] : settings.first_session_eye_target;
  const dx = eyeX / frame.width - target[0];
  const dy = eyeY / frame.height - target[1];
  const off = Math.abs(dx) > Math.abs(dy) ? dx : dy;
  const measures = {
    head_yaw: pose.yaw,
    head_pitch: pose.pitch,
    head_roll: pose.roll,
    face_centre: Math.max(Math.abs(dx), Math.abs(dy)) * Math.sign(off || 1),
  };
  if (baseline) measures.distance_change = (ipd / diagonal) / baseline.face_in_frame - 1;
  else measures.face_size_px = ipd * (frame.photoWidth / frame.width);
  const focal = (frame.width / 2) / Math.tan((geometry.field_of_view_deg * Math.PI) / 360);
  const distanceCm = (focal * geometry.eye_distance_cm) / ipd;
  // The face sits left of its target in the (unmirrored) frame: the client moves to their own left.
  let direction;
  if (Math.abs(dx) >= Math.abs(dy)) direction = dx < 0 ? "Move a little to your left" : "Move a little to your right";
  else direction = dy < 0 ? "Raise the camera a little, or sit a little lower" : "Lower the camera a little, or sit up taller";
  return { measures, pose, ipd, eye: [eyeX, eyeY], context: { distanceCm, direction } };
}

/** Convex hull (monotone chain) of 2-D points. */
export function convexHull(points) {
  const sorted = points.slice().sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper = [];
  for (const p of sorted.slice().reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Binary erosion of a width × height mask (Uint8Array) by a size × size square, as cv2.erode. */
export function erode(mask, width, height, size) {
  const r = Math.floor(size / 2);
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let keep = 1;
      for (let k = -r; k <= r && keep; k += 1) {
        const xx = x + k;
        if (xx >= 0 && xx < width && !mask[y * width + xx]) keep = 0;
      }
      rows[y * width + x] = keep;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let keep = 1;
      for (let k = -r; k <= r && keep; k += 1) {
        const yy = y + k;
        if (yy >= 0 && yy < height && !rows[yy * width + x]) keep = 0;
      }
      out[y * width + x] = keep;
    }
  }
  return out;
}

function gaussianBlur(luma, width, height, sigma) {
  const radius = Math.max(1, Math.round(sigma * 4));
  const kernel = [];
  let total = 0;
  for (let k = -radius; k <= radius; k += 1) { const w = Math.exp(-(k * k) / (2 * sigma * sigma)); kernel.push(w); total += w; }
  for (let k = 0; k < kernel.length; k += 1) kernel[k] /= total;
  const reflect = (i, n) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  const tmp = new Float32Array(luma.length);
  const out = new Float32Array(luma.length);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let k = -radius; k <= radius; k += 1) sum += kernel[k + radius] * luma[y * width + reflect(x + k, width)];
      tmp[y * width + x] = sum;
    }
  }
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let sum = 0;
      for (let k = -radius; k <= radius; k += 1) sum += kernel[k + radius] * tmp[reflect(y + k, height) * width + x];
      out[y * width + x] = sum;
    }
  }
  return out;
}

/**
 * progress.quality.sharpness: Σ(G1 − G2)² / Σ(G2 − G4)² of the luma (0–1) inside the mask.
 * @param {Uint8ClampedArray} rgba the face at the checks' scale (inter-pupillary 100 px), RGBA.
 */
export function sharpness(rgba, width, height, mask) {
  const luma = new Float32Array(width * height);
  for (let i = 0; i < luma.length; i += 1) {
    luma[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  }
  const [g1, g2, g4] = [1, 2, 4].map((sigma) => gaussianBlur(luma, width, height, sigma));
  let fine = 0; let coarse = 0;
  for (let i = 0; i < luma.length; i += 1) {
    if (!mask[i]) continue;
    fine += (g1[i] - g2[i]) ** 2;
    coarse += (g2[i] - g4[i]) ** 2;
  }
  return coarse > 0 ? fine / coarse : 0;
}

/** progress.quality's exposure measures on the skin sample: 99th-percentile luma, clipped and crushed fractions. */
export function exposure(rgba, mask) {
  const lumas = [];
  let clipped = 0;
  let crushed = 0;
  for (let i = 0; i < mask.length; i += 1) {
    if (!mask[i]) continue;
    const r = rgba[4 * i]; const g = rgba[4 * i + 1]; const b = rgba[4 * i + 2];
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    lumas.push(luma);
    if (Math.max(r, g, b) >= 250) clipped += 1;
    if (luma <= 20) crushed += 1;
  }
  if (lumas.length === 0) return { skin_highlight_luma: 0, clipped_highlights: 0, crushed_shadows: 0 };
  lumas.sort((p, q) => p - q);
  const position = 0.99 * (lumas.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, lumas.length - 1);
  const percentile = lumas[low] + (lumas[high] - lumas[low]) * (position - low);
  return {
    skin_highlight_luma: percentile,
    clipped_highlights: clipped / lumas.length,
    crushed_shadows: crushed / lumas.length,
  };
}

/**
 * The automatic shutter: fires once every check has been green for `steadySeconds`; after a shot it re-arms only
 * when `rearmSeconds` have passed and the client has moved (a red check or no face) — stepping away between shots.
 */
export class AutoShutter {
  constructor(steadySeconds, rearmSeconds) {
    this.steadyMs = steadySeconds * 1000;
    this.rearmMs = rearmSeconds * 1000;
    this.greenSince = null;
    this.lastShot = null;
    this.movedSinceShot = true;
  }

  /** Feed one frame's verdict; returns true when the shutter should fire now. */
  update(allGreen, now) {
    if (!allGreen) {
      this.greenSince = null;
      if (this.lastShot !== null) this.movedSinceShot = true;
      return false;
    }
    if (this.greenSince === null) this.greenSince = now;
    const armed = this.lastShot === null || (this.movedSinceShot && now - this.lastShot >= this.rearmMs);
    if (armed && now - this.greenSince >= this.steadyMs) {
      this.shot(now);
      return true;
    }
    return false;
  }

  /** A shot was taken (automatically or by hand). */
  shot(now) {
    this.lastShot = now;
    this.movedSinceShot = false;
    this.greenSince = null;
  }

  /** Whether the client still has to step away before the next automatic shot. */
  waitingForStepAway() {
    return this.lastShot !== null && !this.movedSinceShot;
  }

  /** How long, in seconds, the checks have been green (0 when not). */
  steadyFor(now) {
    return this.greenSince === null ? 0 : (now - this.greenSince) / 1000;
  }
}
