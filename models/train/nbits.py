"""4-bit MatMulNBits nodes (com.microsoft) in place of MatMuls with a constant weight, with onnx and numpy
only (no onnxruntime): bench/tiny-model.py quantizes with its own numpy code, recontract.py puts an older
export's blocks back. The shipped export quantizes with onnxruntime's MatMulNBitsQuantizer (export.py)."""
from onnx import helper, numpy_helper


def swap_matmuls(model, blocks_for):
    """blocks_for(weight [K, N] as numpy) -> (packed uint8 [N, K/block, block/2], scales float32 [N * K/block],
    the node's attributes: K, N, bits, block_size, ...) or None to keep that MatMul. Returns how many were swapped."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes, dropped = [], set()
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) > 1 else None
        hit = blocks_for(numpy_helper.to_array(w)) if w is not None and len(w.dims) == 2 else None
        if hit is None:
            nodes.append(node)
            continue
        packed, scales, attrs = hit
        qn, sn = node.input[1] + "_Q4", node.input[1] + "_scales"
        g.initializer.extend([numpy_helper.from_array(packed, qn), numpy_helper.from_array(scales, sn)])
        nodes.append(helper.make_node("MatMulNBits", [node.input[0], qn, sn], list(node.output), name=node.name + "_Q4",
                                      domain="com.microsoft", **attrs))
        dropped.add(node.input[1])
    del g.node[:]
    g.node.extend(nodes)
    keep = [i for i in g.initializer if i.name not in dropped]
    del g.initializer[:]
    g.initializer.extend(keep)
    if dropped and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return len(dropped)
