/**
 * @module web/lib/download
 * Saving something the page holds as a file: a Blob behind an object URL, clicked through a
 * temporary link, the URL released afterwards.
 */

/** Offers `text` as a file download named `name`, of media type `type`. */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
