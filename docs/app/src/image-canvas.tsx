// Draws a core RGBA image on a canvas (previews and the result).
import { useEffect, useRef } from 'react';
import type { RgbaImage } from '@strotss/core';

/** A canvas showing `image`; `canvasRef` lets the page read it back (the download). */
export function ImageCanvas({ image, testId, onCanvas }: { image?: RgbaImage; testId: string; onCanvas?: (c: HTMLCanvasElement | null) => void }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    onCanvas?.(canvas);
    if (!canvas || !image) return;
    canvas.width = image.width;
    canvas.height = image.height;
    canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
    canvas.dataset.drawn = String((Number(canvas.dataset.drawn) || 0) + 1);
  }, [image, onCanvas]);
  return <canvas ref={ref} data-testid={testId} className={image ? '' : 'empty'} />;
}
