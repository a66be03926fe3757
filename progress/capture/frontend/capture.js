// The Capture component: live camera, MediaPipe face landmarks in the browser, live checks, ghost, shutter.
// Talks to Streamlit with the components-v1 postMessage protocol (no library needed); every asset is local.
import { FaceLandmarker } from "./vendor/vision_bundle.mjs";
import {
  AutoShutter, convexHull, erode, evaluate, expressionMeasures, exposure, geometryMeasures, sharpness,
  similarity2d,
} from "./checks.js";

const IMAGE_CHECK_EVERY = 3; // image measures (sharpness, exposure) on every third detection
const DETECT_LONG_SIDE = 640; // frames handed to the landmarker are at most this size

const PAGE = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).slice(0, 12);
// Shots are numbered per page load: the screen stores each (page, shot) once, also after a reload.
const $ = (id) => document.getElementById(id);
const video = $("video");
const overlay = $("overlay");
const banner = $("banner");

const state = {
  args: null,
  landmarker: null,
  track: null,
  shutter: null,
  shots: 0, // shots sent by this page
  stored: 0, // shots the server says it stored this session
  busy: false,
  last: null, // last frame's measures
  imageMeasures: {},
  frames: 0,
  detections: [],
  ghost: null,
  started: false,
};

function send(type, extra) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...extra }, "*");
}

function setHeight() {
  send("streamlit:setFrameHeight", { height: document.documentElement.scrollHeight + 4 });
}

function localIso(date) {
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

async function startCamera() {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: "user", width: { ideal: 4096 }, height: { ideal: 4096 } },
  });
  [state.track] = stream.getVideoTracks();
  video.srcObject = stream;
  await video.play();
  const facing = state.track.getSettings().facingMode;
  if (facing === "environment") $("mirror").checked = false;
  applyMirror();
}

async function startLandmarker(modelUrl) {
  const base = new URL("./vendor/", window.location.href).href;
  const fileset = { wasmLoaderPath: `${base}vision_wasm_internal.js`, wasmBinaryPath: `${base}vision_wasm_internal.wasm` };
  state.landmarker = await FaceLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: new URL(modelUrl, window.location.href).href, delegate: "CPU" },
    runningMode: "VIDEO",
    numFaces: 2,
    outputFaceBlendshapes: true,
  });
}

function applyMirror() {
  $("stage").classList.toggle("mirrored", $("mirror").checked);
}

const detectCanvas = document.createElement("canvas");
const checkCanvas = document.createElement("canvas");
const maskCanvas = document.createElement("canvas");

function detectionFrame(source, width, height) {
  const scale = Math.min(1, DETECT_LONG_SIDE / Math.max(width, height));
  detectCanvas.width = Math.round(width * scale);
  detectCanvas.height = Math.round(height * scale);
  detectCanvas.getContext("2d").drawImage(source, 0, 0, detectCanvas.width, detectCanvas.height);
  return detectCanvas;
}

function polygonMask(width, height, polygons, erodeSize) {
  maskCanvas.width = width;
  maskCanvas.height = height;
  const ctx = maskCanvas.getContext("2d", { willReadFrequently: true });
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#fff";
  for (const polygon of polygons) {
    ctx.beginPath();
    polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.fill();
  }
  const pixels = ctx.getImageData(0, 0, width, height).data;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i += 1) mask[i] = pixels[4 * i + 3] > 127 ? 1 : 0;
  return erode(mask, width, height, erodeSize);
}

/** Sharpness and exposure as the server measures them: the face warped to the checks' scale (100 px between the eyes). */
function imageMeasures(landmarks, source) {
  const { geometry } = state.args.settings;
  const [width, height] = geometry.check_size;
  const basis = geometry.rigid_basis.map((i) => [landmarks[i][0], landmarks[i][1]]);
  const [a, b, c, d, e, f] = similarity2d(basis, geometry.canonical_basis_small);
  checkCanvas.width = width;
  checkCanvas.height = height;
  const ctx = checkCanvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  ctx.setTransform(a, b, c, d, e, f);
  ctx.drawImage(source, 0, 0);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const map = (i) => [a * landmarks[i][0] + c * landmarks[i][1] + e, b * landmarks[i][0] + d * landmarks[i][1] + f];
  const skin = polygonMask(width, height, geometry.skin_rois.map((roi) => convexHull(roi.map(map))), 3);
  const face = polygonMask(width, height, [geometry.face_oval.map(map)], 11);
  return { sharpness: sharpness(rgba, width, height, face), ...exposure(rgba, skin) };
}

function drawOverlay(frame, allGreen) {
  overlay.width = video.videoWidth;
  overlay.height = video.videoHeight;
  const ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  const { settings } = state.args;
  const { geometry, baseline } = settings;
  const diagonal = Math.hypot(overlay.width, overlay.height);
  if (state.ghost && baseline && baseline.eye_x !== null) {
    const scale = (baseline.face_in_frame * diagonal) / geometry.ghost_ipd_px;
    ctx.save();
    ctx.globalAlpha = Number($("opacity").value) / 100;
    ctx.translate(baseline.eye_x * overlay.width, baseline.eye_y * overlay.height);
    ctx.rotate((-baseline.roll_deg * Math.PI) / 180);
    ctx.scale(scale, scale);
    ctx.translate(-geometry.ghost_eye_px[0], -geometry.ghost_eye_px[1]);
    ctx.drawImage(state.ghost, 0, 0);
    ctx.restore();
  } else {
    // First session: a framing guide, the oval a face of the right size fills at the target position.
    const [tx, ty] = settings.first_session_eye_target;
    // Eyes at the target, 22 % of the frame's shorter side apart (never below the face-size limit); the oval is
    // where the face's outline (landmarks 10 to 152) falls around them.
    const least = settings.thresholds.face_size_px * (overlay.width / Math.max(1, state.photoWidth || overlay.width));
    const ipd = Math.max(least, 0.22 * Math.min(overlay.width, overlay.height));
    ctx.save();
    ctx.strokeStyle = "rgba(255,255,255,0.85)";
    ctx.setLineDash([12, 10]);
    ctx.lineWidth = Math.max(2, overlay.width / 320);
    ctx.beginPath();
    ctx.ellipse(tx * overlay.width, ty * overlay.height + ipd * 0.52, ipd * 1.1, ipd * 1.3, 0, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.restore();
  }
  if (frame) {
    ctx.save();
    ctx.strokeStyle = allGreen ? "rgba(46, 204, 113, 0.95)" : "rgba(255, 193, 7, 0.9)";
    ctx.lineWidth = Math.max(2, overlay.width / 300);
    ctx.beginPath();
    geometry.face_oval.forEach((i, n) => {
      const [x, y] = frame.landmarks[i];
      if (n) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.closePath();
    ctx.stroke();
    ctx.restore();
  }
}

function renderChecks(verdicts) {
  const list = $("checks");
  list.replaceChildren(...verdicts.map((v) => {
    const item = document.createElement("li");
    item.className = v.ok ? "ok" : "";
    item.dataset.check = v.name;
    item.innerHTML = `${v.ok ? "✓" : "✗"} <b></b> <span></span>`;
    item.querySelector("b").textContent = v.label;
    item.querySelector("span").textContent = v.ok ? "" : v.text;
    return item;
  }));
}

function statusLine() {
  const target = state.args.settings.shots_per_session;
  if (state.busy) return "Saving the photo…";
  if (state.stored >= target) return `All ${target} photos of this session are stored. "Take the photo now" adds more.`;
  if (state.shutter && state.shutter.waitingForStepAway()) {
    return `Photo ${state.stored} of ${target} stored. Step away from the camera, then come back.`;
  }
  return `Photo ${state.stored + 1} of ${target}: follow the instructions; the photo is taken when all are green.`;
}

/**
 * Every check on one picture: the live video (each frame) or a still (`still`: the photo just taken, checked
 * whole before it is sent, so a blink or a turn at the moment of the shot is caught).
 */
function measureFrame(now, still = null) {
  const source = still ?? video;
  const width = still ? still.width : video.videoWidth;
  const height = still ? still.height : video.videoHeight;
  const result = state.landmarker.detectForVideo(detectionFrame(source, width, height), now);
  if (!still) {
    state.detections.push(now);
    while (state.detections.length && now - state.detections[0] > 3000) state.detections.shift();
  }
  if (!result.faceLandmarks || result.faceLandmarks.length === 0) {
    return { verdicts: [{ name: "face", label: "Face", ok: false, text: "Look at the camera: no face is in the picture" }] };
  }
  const areas = result.faceLandmarks.map((points) => {
    const xs = points.map((p) => p.x); const ys = points.map((p) => p.y);
    return (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
  });
  const index = areas.indexOf(Math.max(...areas));
  const landmarks = result.faceLandmarks[index].map((p) => [p.x * width, p.y * height, p.z * width]);
  const scores = Object.fromEntries((result.faceBlendshapes[index]?.categories ?? []).map((c) => [c.categoryName, c.score]));
  const photoWidth = still ? width : state.photoWidth || width;
  const geometry = geometryMeasures(landmarks, state.args.settings, { width, height, photoWidth });
  let image;
  if (still) {
    image = imageMeasures(landmarks, still);
  } else {
    state.frames += 1;
    if (state.frames % IMAGE_CHECK_EVERY === 1) state.imageMeasures = imageMeasures(landmarks, video);
    image = state.imageMeasures;
  }
  const measures = { ...geometry.measures, ...expressionMeasures(scores), ...image };
  const verdicts = evaluate(measures, state.args.settings.thresholds, geometry.context);
  if (result.faceLandmarks.length > 1) verdicts.unshift({ name: "face", label: "Face", ok: false, text: "Only the client in the picture, please" });
  return { verdicts, landmarks, measures, pose: geometry.pose };
}

function loop() {
  if (video.readyState >= 2 && state.landmarker && !state.busy && !state.paused) {
    const now = performance.now();
    let frame;
    try {
      frame = measureFrame(now);
    } catch (error) {
      $("error").textContent = `Live checks stopped: ${error.message}`;
      return;
    }
    state.last = frame;
    const allGreen = frame.verdicts.every((v) => v.ok);
    renderChecks(frame.verdicts);
    drawOverlay(frame.landmarks ? frame : null, allGreen);
    const firstRed = frame.verdicts.find((v) => !v.ok);
    const away = state.shutter.waitingForStepAway() && state.stored < state.args.settings.shots_per_session;
    banner.textContent = away ? "Photo taken: step away, then come back" : allGreen ? "Hold still…" : firstRed.text;
    banner.classList.toggle("ready", allGreen);
    const wanted = state.stored < state.args.settings.shots_per_session; // then only the manual shutter
    const fire = state.shutter.update(allGreen && wanted, now);
    $("status").textContent = statusLine();
    const rate = state.detections.length > 1
      ? (1000 * (state.detections.length - 1)) / (state.detections[state.detections.length - 1] - state.detections[0]) : 0;
    window.captureStats = {
      rate, detections: state.frames, shots: state.shots, retakes: state.retakes || 0, allGreen,
      shutterToStoredMs: state.shutterToStored || [],
    };
    $("stats").textContent = `live checks ${rate.toFixed(1)} per second · camera ${video.videoWidth}×${video.videoHeight}`;
    if (fire && $("auto").checked) takePhoto("automatic");
  }
  requestAnimationFrame(loop);
}

async function stillBlob() {
  if ("ImageCapture" in window) {
    try {
      const capture = new window.ImageCapture(state.track);
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("takePhoto timed out")), 4000));
      const blob = await Promise.race([capture.takePhoto(), timeout]);
      const bitmap = await createImageBitmap(blob);
      if (bitmap.width >= video.videoWidth && bitmap.height >= video.videoHeight) {
        return { blob, method: "takePhoto", width: bitmap.width, height: bitmap.height };
      }
    } catch (error) {
      console.info("ImageCapture.takePhoto unavailable, using the video frame:", error.message);
    }
  }
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.95));
  return { blob, method: "video-frame", width: canvas.width, height: canvas.height };
}

async function takePhoto(trigger) {
  if (state.busy || !state.track) return;
  state.busy = true;
  const shutterBefore = { lastShot: state.shutter.lastShot, moved: state.shutter.movedSinceShot };
  state.shutter.shot(performance.now());
  banner.textContent = "Photo taken";
  $("status").textContent = statusLine();
  const capturedAt = new Date();
  const started = performance.now();
  state.shotAt = started;
  try {
    const still = await stillBlob();
    if (trigger === "automatic") {
      // The automatic shutter sends only a still whose own checks pass (the client may have moved meanwhile).
      const bitmap = await createImageBitmap(still.blob);
      const verdicts = measureFrame(performance.now(), bitmap).verdicts;
      bitmap.close();
      const failed = verdicts.find((v) => !v.ok);
      if (failed) {
        state.shutter.lastShot = shutterBefore.lastShot;
        state.shutter.movedSinceShot = shutterBefore.moved;
        state.retakes = (state.retakes || 0) + 1;
        banner.textContent = `Moved during the photo (${failed.label.toLowerCase()}): once more`;
        state.busy = false;
        return;
      }
    }
    const image = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(still.blob);
    });
    state.shots += 1;
    state.sentAt = performance.now();
    send("streamlit:setComponentValue", {
      dataType: "json",
      value: {
        page: PAGE, shot: state.shots, image, captured_at: localIso(capturedAt), device: state.track.label || "",
        method: still.method, width: still.width, height: still.height, trigger,
        encode_ms: Math.round(state.sentAt - started),
        checks: state.last && state.last.measures ? state.last.measures : {},
      },
    });
  } catch (error) {
    $("error").textContent = `The photo could not be taken: ${error.message}`;
    state.busy = false;
  }
  // The screen stores the photo and renders again with the new count (onRender clears busy); should that render
  // never come (the server restarted), the shutter frees itself after 20 s.
  clearTimeout(state.busyTimer);
  state.busyTimer = setTimeout(() => { state.busy = false; }, 20000);
}

async function loadGhost(args) {
  // The baseline's face; on a first session it appears once the first photo is stored (the later shots match it).
  if (!args.ghost_image || args.ghost_image === state.ghostSource) return;
  state.ghostSource = args.ghost_image;
  const image = new Image();
  image.src = args.ghost_image;
  await image.decode();
  if (!state.ghost) $("opacity").value = String(Math.round(100 * args.ghost_opacity));
  state.ghost = image;
  $("ghost-row").hidden = false;
  setHeight();
}

async function start(args) {
  state.shutter = new AutoShutter(args.settings.steady_seconds, args.settings.rearm_seconds);
  await loadGhost(args);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error("This browser gives no camera here. Open the app over HTTPS (see docs/capture.md) or on localhost.");
  }
  await startCamera();
  banner.textContent = "Loading the face model…";
  await startLandmarker(args.model_url);
  state.photoWidth = video.videoWidth; // the track runs at the camera's largest size: stills are this wide or wider
  $("shutter").disabled = false;
  banner.textContent = "Look at the camera";
  setHeight();
  requestAnimationFrame(loop);
}

function onRender(args) {
  const stored = Number(args.shots_stored ?? 0);
  if (state.shotAt && stored !== state.stored) {
    // Shutter → still encoded → sent → stored and analysed → this render: what the practitioner waits.
    state.shutterToStored = [...(state.shutterToStored || []), Math.round(performance.now() - state.shotAt)];
  }
  if (state.busy && (stored !== state.stored || args.acknowledged === `${PAGE}:${state.shots}`)) {
    state.busy = false;
    clearTimeout(state.busyTimer);
  }
  state.stored = stored;
  state.args = args;
  if (state.started) loadGhost(args).catch(() => {});
  if (!state.started && shown()) {
    state.started = true;
    start(args).catch((error) => {
      banner.textContent = "The camera could not start";
      $("error").textContent = `${error.name === "NotAllowedError" ? "Camera permission was refused. " : ""}${error.message}`;
      setHeight();
    });
  }
  setHeight();
}

/** Whether the component is on screen: a hidden tab or a background browser tab must not hold the camera. */
function shown() {
  return window.innerWidth > 0 && document.visibilityState === "visible";
}

// The camera runs only while the component is shown: hidden, its light goes off; shown again, it restarts.
setInterval(() => {
  if (!state.args) return;
  if (!state.started && shown()) onRender(state.args);
  const live = state.track && state.track.readyState === "live";
  if (state.started && live && !shown()) {
    state.track.stop();
    state.paused = true;
  } else if (state.paused && shown() && state.landmarker) {
    state.paused = false;
    startCamera().catch((error) => { $("error").textContent = error.message; });
  }
}, 1000);

window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") onRender(event.data.args);
});
$("shutter").addEventListener("click", () => takePhoto("manual"));
$("mirror").addEventListener("change", applyMirror);
new ResizeObserver(setHeight).observe(document.body);
send("streamlit:componentReady", { apiVersion: 1 });
