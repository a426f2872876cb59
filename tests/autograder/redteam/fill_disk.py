# target: cs_utils/classifiers/softmax.py
# zero: softmax_loss_naive
# Fill the disk and the inode table from the working folder: 256 MiB of data and 10000 empty
# files. With a private, capped scratch folder both stop at the caps; the totals go to the staff
# log, where the test reads them.
import os as _os


def softmax_loss_naive(W, X, y, reg):
    written = files = 0
    block = b"x" * (4 << 20)
    try:
        with open("ballast.bin", "wb") as handle:
            while written < 256 << 20:
                handle.write(block)
                handle.flush()
                written += len(block)
    except OSError:
        pass
    try:
        _os.mkdir("inodes")
        while files < 10000:
            open(_os.path.join("inodes", str(files)), "w").close()
            files += 1
    except OSError:
        pass
    print(f"FILL-DISK wrote {written} bytes and {files} files", flush=True)
    return 0.0, W * 0
