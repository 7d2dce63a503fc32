// Sets every element of a contiguous buffer region to one value.

/** dtype: 0 float32, 1 int32, 2 bool. */
export function fill(dtype: i32, dst: usize, n: i32, value: f64): void {
  if (dtype == 2) {
    memory.fill(dst, value != 0 ? 1 : 0, <usize>n);
    return;
  }
  const v: v128 = dtype == 0 ? f32x4.splat(<f32>value) : i32x4.splat(<i32>value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v);
  const bits = i32x4.extract_lane(v, 0);
  for (; i < n; i++) store<i32>(dst + (<usize>i << 2), bits);
}
