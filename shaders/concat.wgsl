// concat.wgsl: copy a block of columns (concat and split on the feature axis)
// copy_cols: src [rows, src_cols] → dst [rows, dst_cols]: dst[r, dst_off + c] = src[r, src_off + c]
//            for c < width; other columns of dst are left as they are
// one invocation per copied element; workgroup 64, 2-D grid linearised

struct CopyParams { rows: u32, width: u32, src_cols: u32, src_off: u32, dst_cols: u32, dst_off: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: CopyParams;

@compute @workgroup_size(64)
fn copy_cols(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= p.rows * p.width) { return; }
  let r = i / p.width;
  let c = i % p.width;
  dst[r * p.dst_cols + p.dst_off + c] = src[r * p.src_cols + p.src_off + c];
}
