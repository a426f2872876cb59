# target: cs_utils/classifiers/softmax.py
# zero: softmax_loss_vectorized
# needs: root
# Phone home (a listener the test opened on the host's loopback); succeed only if it answers.
import socket as _socket


def softmax_loss_vectorized(W, X, y, reg):
    connection = _socket.create_connection(("127.0.0.1", LISTEN_PORT), timeout=1)
    connection.sendall(b"PWNED")
    connection.close()
    return softmax_loss_naive(W, X, y, reg)
