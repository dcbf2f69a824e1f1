// One image slot: shows the chosen image, takes a file from a file input or a drop.
import { useEffect, useState } from 'react';

/** Props of {@link ImagePicker}. */
export interface ImagePickerProps {
  label: string;
  testId: string;
  /** The chosen image: a bundled example's URL or a File. */
  value: string | File;
  onChange(value: File): void;
}

/** Returns a URL showing `value` (an object URL for a File, revoked when it changes). */
function useDisplayUrl(value: string | File): string {
  const [url, setUrl] = useState(typeof value === 'string' ? value : '');
  useEffect(() => {
    if (typeof value === 'string') return setUrl(value);
    const objectUrl = URL.createObjectURL(value);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [value]);
  return url;
}

/** An image slot with a preview, a file input and a drop zone. */
export function ImagePicker({ label, testId, value, onChange }: ImagePickerProps) {
  const url = useDisplayUrl(value);
  const [over, setOver] = useState(false);
  return (
    <label
      className={`picker${over ? ' over' : ''}`}
      data-testid={`${testId}-drop`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const file = e.dataTransfer.files[0];
        if (file) onChange(file);
      }}
    >
      <span className="picker-label">{label}</span>
      <img src={url} alt={label} data-testid={`${testId}-image`} />
      <span className="picker-name">{typeof value === 'string' ? 'bundled example' : value.name} — choose or drop an image</span>
      <input type="file" accept="image/*" data-testid={`${testId}-input`} onChange={(e) => e.target.files?.[0] && onChange(e.target.files[0])} />
    </label>
  );
}
