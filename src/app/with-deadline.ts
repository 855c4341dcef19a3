/** Resolves when `work` settles or at `deadline` (epoch ms), whichever comes first; true when the work finished. */
export async function withDeadline(
  work: Promise<unknown>,
  deadline: number,
  now = Date.now,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - now()));
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
