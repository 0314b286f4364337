#!/usr/bin/env python3
"""Dynamic 8-bit quantisation of ONNX models, as the Hugging Face Hub's `*_quantized.onnx` files are made.

The Hub's `onnx/*_quantized.onnx` files (what transformers.js loads for `dtype: 'q8'`) come from
transformers.js's `scripts/quantize.py`, mode `q8`, which runs onnxruntime's `ONNXQuantizer` with

    mode=QuantizationMode.IntegerOps, static=False, per_channel=False (None), reduce_range=False (None),
    weight_qType=QUInt8 if the model has a Conv (or GroupQueryAttention / MultiHeadAttention) else QInt8,
    activation_qType=QUInt8, op_types_to_quantize=IntegerOpsRegistry (Conv, MatMul, Attention, LSTM,
    Gather, Transpose, EmbedLayerNormalization), extra_options={EnableSubgraph: True, MatMulConstBOnly: True}

(onnxruntime 1.20.1, transformers.js's scripts/requirements.txt). Python onnxruntime is not installable
here (no PyPI; Debian has no package), so this file performs the same graph transformation with
Debian's python3-onnx and numpy, following onnxruntime's quantiser (onnx_quantizer.py, quant_utils.py,
operators/{matmul,conv,gather,direct_q8,base_operator}.py) step by step:

- MatMul whose B is an initializer: A -> DynamicQuantizeLinear (uint8, one per activation, shared by
  every consumer), B -> a uint8/int8 initializer with a per-tensor scale and zero point, then
  MatMulInteger(A_q, B_q, A_zp, B_zp) -> Cast(float) -> Mul(A_scale * B_scale). MatMuls with a
  computed B (attention's Q.K^T and P.V) stay fp32 (MatMulConstBOnly).
- Conv with an initializer weight: the same with ConvInteger, the bias added after (Reshape + Add).
- Gather on a float initializer (token embeddings): the table stored as uint8 (the activation type),
  a DequantizeLinear after the Gather for its consumers.
- Transpose whose input is already a quantised value: transposes the 8-bit tensor (Direct8BitOp).
- Every other node: inputs that exist only in quantised form get a DequantizeLinear in front.

Weight scales exactly as onnxruntime computes them (quant_utils.compute_scale_zp / quantize_nparray):
per tensor; range [min(w, 0), max(w, 0)]; QInt8 weights symmetric on [-127, 127] (zero point 0),
QUInt8 weights asymmetric on [0, 255] (zero point round(-rmin / scale)); scale = (rmax - rmin) / (qmax - qmin)
computed in float64 then stored as float32; q = clip(round(w / scale) + zero_point) (round half to even).

Usage (from the repo root):
    /usr/bin/python3 tools/quantize_dynamic_q8.py <model dir> [--out-dir <dir>] [--files vision_model text_model]
        writes <out dir>/onnx/<name>_quantized.onnx for each <model dir>/onnx/<name>.onnx (default: every fp32 file there)
    /usr/bin/python3 tools/quantize_dynamic_q8.py --self-test
        onnxruntime's own compute_scale_zp test values, and a small model through the quantiser
    /usr/bin/python3 tools/quantize_dynamic_q8.py --make-matmul M K N --out-dir <dir>
        one MatMul [M, K] x constant [K, N] (seeded normal weights) as onnx/matmul.onnx, and its q8 file
        through the same quantiser with QUInt8 weights (as in the vision towers, which have a Conv): the
        bench's kernel probe

The built-ins are quantised with `--weight-type uint8` (QUInt8 weights everywhere, as transformers.js does for any
model with a Conv): onnxruntime's x86 kernel for uint8 x int8 on AVX2 without VNNI sums pairs of products in int16
with saturation (vpmaddubsw), so on such CPUs onnxruntime-node, the reference the app is checked against, gives
different numbers for int8-weight files than onnxruntime-web's WASM kernels, which are exact (a [4,64] x [64,8]
MatMulInteger of 255 x 127: 1,048,544 instead of 2,072,640 on an AVX2 EPYC; the uint8 x uint8 kernel is exact).

After writing a model it checks it (onnx.checker full check; same graph inputs and outputs as the fp32
file; every constant-B MatMul / Conv replaced; every quantised weight dequantises to within half a step
of the fp32 weight). The numerical check against the fp32 model runs on onnxruntime-node:
`node tools/check_q8_models.mjs <model dir>`.
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# transformers.js scripts/quantize.py: operators that make mode q8 choose QUInt8 weights (ORT-web has no
# ConvInteger for int8 weights).
QUINT8_OPS = ("Conv", "GroupQueryAttention", "MultiHeadAttention")
# onnxruntime's IntegerOpsRegistry (registry.py, 1.20): the op types quantize_q8 asks for.
INTEGER_OPS = ("Conv", "MatMul", "Attention", "LSTM", "Gather", "Transpose", "EmbedLayerNormalization")
# Parts of onnxruntime's quantiser this file does not reproduce: refuse rather than quantise differently.
# (Gemm is not in IntegerOpsRegistry: onnxruntime's dynamic q8 leaves it in float, and so does this file.)
UNSUPPORTED_OPS = ("Attention", "LSTM", "EmbedLayerNormalization", "QuantizeLinear", "DequantizeLinear")
QUANT_SUFFIX = "_quantized"  # quant_utils.TENSOR_NAME_QUANT_SUFFIX
PRODUCER = ("onnx.quantize", "0.1.0")  # quant_utils.__producer__, __version__

FULL_RANGE = {TensorProto.UINT8: (np.uint8, 0, 255), TensorProto.INT8: (np.int8, -128, 127)}
SYMMETRIC_RANGE = {TensorProto.UINT8: (np.uint8, 0, 254), TensorProto.INT8: (np.int8, -127, 127)}


def qrange(qtype, symmetric):
    """quant_utils.get_qmin_qmax_for_qType with reduce_range=False."""
    dtype, lo, hi = (SYMMETRIC_RANGE if symmetric else FULL_RANGE)[qtype]
    return np.array(lo, dtype=dtype), np.array(hi, dtype=dtype)


def compute_scale_zp(rmin, rmax, qmin, qmax, symmetric):
    """quant_utils.compute_scale_zp (min_real_range=None), numpy 0-d arrays in and out."""
    rmin = np.minimum(rmin, np.array(0, dtype=rmin.dtype))
    rmax = np.maximum(rmax, np.array(0, dtype=rmax.dtype))
    if symmetric:
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin, rmax = -absmax, +absmax
    dr = np.array(rmax - rmin, dtype=np.float64)
    dq = np.array(qmax, dtype=np.float64) - np.array(qmin, dtype=np.float64)
    scale = np.array(dr / dq)
    if scale < np.finfo(rmax.dtype).tiny:
        return np.array(0, dtype=qmin.dtype), np.array(1.0, dtype=rmax.dtype)
    if symmetric:
        zero_point = np.array(np.round((qmin + qmax) / np.array(2.0, dtype=np.float64)), dtype=qmin.dtype)
    else:
        zero_point = np.array(np.round(qmin - rmin / scale), dtype=qmin.dtype)
    return zero_point, scale.astype(rmax.dtype)


def quantize_nparray(qtype, arr, scale, zero_point):
    """quant_utils.quantize_nparray: round half to even, clip to the type's full range."""
    dtype, lo, hi = FULL_RANGE[qtype]
    arr_fp32 = np.asarray((arr.astype(np.float32) / scale).round() + zero_point)
    np.clip(arr_fp32, lo, hi, out=arr_fp32)
    return arr_fp32.astype(dtype)


def quantize_data(data, qtype, symmetric):
    """quant_utils.quantize_data (reduce_range=False): zero point, scale and the quantised values."""
    rmin = np.array(data.min() if len(data) else 0.0, dtype=data.dtype)
    rmax = np.array(data.max() if len(data) else 0.0, dtype=data.dtype)
    qmin, qmax = qrange(qtype, symmetric)
    if len(data):
        zero_point, scale = compute_scale_zp(rmin, rmax, qmin, qmax, symmetric)
    else:
        zero_point, scale = np.array(0, dtype=qmin.dtype), np.array(1.0, dtype=data.dtype)
    return zero_point, scale, quantize_nparray(qtype, data, scale, zero_point)


class QuantizedValue:
    def __init__(self, q_name, scale_name, zp_name):
        self.q_name, self.scale_name, self.zp_name = q_name, scale_name, zp_name


def graph_ops(graph):
    ops = set()
    for node in graph.node:
        ops.add(node.op_type)
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops |= graph_ops(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    ops |= graph_ops(g)
    return ops


class GraphQuantizer:
    """onnx_quantizer.ONNXQuantizer for one graph (a subgraph gets its own, with `parent` set)."""

    def __init__(self, graph, weight_qtype, value_types, parent=None):
        self.graph = graph
        self.weight_qtype = weight_qtype
        self.activation_qtype = TensorProto.UINT8
        # ONNXQuantizer: WeightSymmetric defaults to weight_qType in (QInt8, QInt16, QFLOAT8E4M3FN).
        self.weight_symmetric = weight_qtype == TensorProto.INT8
        self.value_types = value_types  # tensor name -> elem_type, from shape inference
        self.parent = parent
        self.initializers = {init.name: init for init in graph.initializer}
        self.new_initializers = []
        self.new_nodes = []
        self.quantized_value_map = {}
        self.generated_value_names = {i.name for i in graph.input if i.name not in self.initializers}
        self.tensor_names = {o.name for o in graph.output} | {i.name for i in graph.input}
        for node in graph.node:
            self.tensor_names.update(node.output)
        self.counts = {"MatMulInteger": 0, "ConvInteger": 0, "Gather": 0, "Transpose": 0, "DynamicQuantizeLinear": 0,
                       "DequantizeLinear": 0, "MatMul kept fp32 (computed B)": 0}

    # --- lookups -------------------------------------------------------------------------------
    def find_initializer_in_path(self, name):
        if name in self.initializers:
            return True
        return self.parent is not None and self.parent.find_initializer_in_path(name)

    def is_valid_quantize_weight(self, name):
        init = self.initializers.get(name)
        if init is not None:
            return init.data_type in (TensorProto.FLOAT, TensorProto.FLOAT16)
        if self.parent is None:
            return False
        return self.parent.is_valid_quantize_weight(name)

    def is_float_tensor(self, name):
        if name in self.initializers:
            return self.is_valid_quantize_weight(name)
        elem = self.value_types.get(name)
        if elem is not None:
            return elem in (TensorProto.FLOAT, TensorProto.FLOAT16)
        if self.parent is not None:
            return self.parent.is_float_tensor(name)
        return False

    def find_quantized_value(self, name):
        if name in self.quantized_value_map:
            return self.quantized_value_map[name]
        return self.parent.find_quantized_value(name) if self.parent is not None else None

    def contains_tensor(self, name):
        """ONNXQuantizer.contains_tensor: a value of this graph. A subgraph's quantiser knows only its own
        graph's values, so an activation from an outer scope (the merged decoder's `encoder_hidden_states`
        read inside a branch) is quantised by the graph it comes from, once, before the `If`."""
        local = name in self.tensor_names or name in self.generated_value_names
        return local or (self.parent is None and name in self.value_types)

    def find_new_node(self, name):
        for node in self.new_nodes:
            if node.name == name:
                return node
        return None

    def add_initializer(self, tensor):
        """ONNXModel.add_initializer: one tensor per name (a weight is quantised once, see quantize_initializer)."""
        if any(t.name == tensor.name for t in self.new_initializers):
            return
        self.new_initializers.append(tensor)
        self.initializers[tensor.name] = tensor

    # --- quantising inputs ---------------------------------------------------------------------
    def quantize_initializer(self, weight, qtype):
        """ONNXQuantizer.quantize_initializer, per tensor, no overrides, reduce_range False."""
        if weight.name in self.quantized_value_map:
            return self.quantized_value_map[weight.name]
        if weight.data_type != TensorProto.FLOAT:
            raise NotImplementedError(f"only float32 weights are supported ({weight.name})")
        data = numpy_helper.to_array(weight)
        zero_point, scale, q_data = quantize_data(data.flatten(), qtype, self.weight_symmetric)
        q_name, zp_name, scale_name = weight.name + QUANT_SUFFIX, weight.name + "_zero_point", weight.name + "_scale"
        self.add_initializer(helper.make_tensor(scale_name, weight.data_type, [], scale.reshape((-1,)).tolist()))
        self.add_initializer(helper.make_tensor(zp_name, qtype, [], zero_point.reshape((-1,)).tolist()))
        np_dtype = FULL_RANGE[qtype][0]
        self.add_initializer(numpy_helper.from_array(np.asarray(q_data, dtype=np_dtype).reshape(weight.dims), q_name))
        value = QuantizedValue(q_name, scale_name, zp_name)
        self.quantized_value_map[weight.name] = value
        return value

    def dynamic_quantize_nodes(self, input_name):
        """ONNXQuantizer._get_quantize_input_nodes, dynamic mode, uint8, opset >= 11 (fused)."""
        output_name = input_name + QUANT_SUFFIX
        scale_name, zp_name = input_name + "_scale", input_name + "_zero_point"
        node = helper.make_node("DynamicQuantizeLinear", [input_name], [output_name, scale_name, zp_name], input_name + "_QuantizeLinear")
        self.quantized_value_map[input_name] = QuantizedValue(output_name, scale_name, zp_name)
        self.counts["DynamicQuantizeLinear"] += 1
        return [node]

    def quantize_inputs(self, node, indices, use_weight_qtype):
        """ONNXQuantizer.__quantize_inputs (per_channel False)."""
        q_names, zp_names, scale_names, nodes = [], [], [], []
        for index in indices:
            name = node.input[index]
            if name in self.quantized_value_map:
                value = self.quantized_value_map[name]
            elif not name:
                q_names.append("")
                zp_names.append("")
                scale_names.append("")
                continue
            elif name in self.initializers:
                value = self.quantize_initializer(self.initializers[name], self.weight_qtype if use_weight_qtype else self.activation_qtype)
            elif self.contains_tensor(name):
                value = self.quantize_activation(name, nodes)
            elif self.parent is not None:
                value = self.parent.quantize_for_subgraph(name, use_weight_qtype)
            else:
                raise NotImplementedError(f"{name} is not a value of this graph or of an outer one")
            q_names.append(value.q_name)
            zp_names.append(value.zp_name)
            scale_names.append(value.scale_name)
        return q_names, zp_names, scale_names, nodes

    def quantize_activation(self, name, nodes):
        """One DynamicQuantizeLinear per activation, shared by every consumer (find_node_by_name)."""
        existing = self.find_new_node(name + "_QuantizeLinear")
        if existing is None:
            created = self.dynamic_quantize_nodes(name)
            nodes.extend(created)
            existing = created[-1]
        return QuantizedValue(existing.output[0], existing.output[1], existing.output[2])

    def quantize_for_subgraph(self, name, use_weight_qtype):
        """ONNXQuantizer.__quantize_inputs(..., from_subgraph=True): a subgraph asks the graph that owns
        `name` for its quantised form. An initializer is quantised once, stored in the owning graph and read
        from the subgraph as an outer-scope value; an activation's DynamicQuantizeLinear is added to the
        owning graph's nodes (so it runs before the node holding the subgraph)."""
        if name in self.quantized_value_map:
            return self.quantized_value_map[name]
        if name in self.initializers:
            return self.quantize_initializer(self.initializers[name], self.weight_qtype if use_weight_qtype else self.activation_qtype)
        if self.contains_tensor(name):
            created = []
            value = self.quantize_activation(name, created)
            self.new_nodes.extend(created)
            for node in created:
                self.generated_value_names.update(node.output)
            return value
        if self.parent is not None:
            return self.parent.quantize_for_subgraph(name, use_weight_qtype)
        raise NotImplementedError(f"{name} is not a value of this graph or of an outer one")

    # --- dequantising for nodes that stay float --------------------------------------------------
    def dequantize_value(self, name):
        """ONNXQuantizer._dequantize_value."""
        if name in self.quantized_value_map and name not in self.generated_value_names:
            value = self.quantized_value_map[name]
            dq_name = name + "_DequantizeLinear"
            if self.find_new_node(dq_name) is None:
                if name in self.initializers and name not in {t.name for t in self.new_initializers}:
                    # A float initializer that a Gather also reads quantised (a tied output projection).
                    # onnxruntime would add a DequantizeLinear whose output has the initializer's own name
                    # (two definitions of one name); here the float consumer keeps reading the initializer,
                    # as onnxruntime's subgraph quantiser does, and share_quantized_tables() below then
                    # replaces it by one DequantizeLinear of the 8-bit table.
                    return None
                self.counts["DequantizeLinear"] += 1
                return helper.make_node("DequantizeLinear", [value.q_name, value.scale_name, value.zp_name], [name], dq_name)
        return None

    def keep_float(self, node):
        """operators/base_operator.QuantOperatorBase.quantize."""
        for name in node.input:
            dq = self.dequantize_value(name)
            if dq is not None:
                self.new_nodes.append(dq)
        self.new_nodes.append(node)

    def should_quantize(self, node):
        """registry.CreateOpQuantizer: the op's should_quantize()."""
        op = node.op_type
        if op not in INTEGER_OPS:
            return False
        if op == "MatMul":
            if not self.is_float_tensor(node.input[1]) and not self.is_float_tensor(node.input[0]):
                return False
            if not self.find_initializer_in_path(node.input[1]):  # MatMulConstBOnly
                self.counts["MatMul kept fp32 (computed B)"] += 1
                return False
            return True
        if op == "Gather":
            return self.is_valid_quantize_weight(node.input[0])
        return self.is_float_tensor(node.input[0])

    # --- the operators ---------------------------------------------------------------------------
    def integer_op(self, node, integer_op, attributes):
        """operators/matmul.MatMulInteger and operators/conv.ConvInteger (without the bias)."""
        q_names, zp_names, scale_names, nodes = self.quantize_inputs(node, [0], use_weight_qtype=False)
        if not self.find_initializer_in_path(node.input[1]):
            raise NotImplementedError(f"{node.name}: weight {node.input[1]} is not an initializer")
        wq, wzp, wscale, wnodes = self.quantize_inputs(node, [1], use_weight_qtype=True)
        q_names += wq
        zp_names += wzp
        scale_names += wscale
        nodes += wnodes
        int_output = node.output[0] + "_output_quantized"
        int_name = node.name + "_quant" if node.name else ""
        nodes.append(helper.make_node(integer_op, q_names + zp_names, [int_output], int_name, **attributes))
        cast_output = int_output + "_cast_output"
        nodes.append(helper.make_node("Cast", [int_output], [cast_output], int_output + "_cast", to=TensorProto.FLOAT))
        scales_mul_op = int_name + "_scales_mul" if int_name else scale_names[0] + "_" + scale_names[1] + "_mul"
        scales_mul = self.find_new_node(scales_mul_op)
        if scales_mul is None:
            scales_mul = helper.make_node("Mul", scale_names, [scales_mul_op + ":0"], scales_mul_op)
            nodes.append(scales_mul)
        return nodes, cast_output, scales_mul.output[0], int_name

    def quantize_matmul(self, node):
        nodes, cast_output, scales_output, int_name = self.integer_op(node, "MatMulInteger", {})
        nodes.append(helper.make_node("Mul", [cast_output, scales_output], [node.output[0]], int_name + "_output_scale_mul" if int_name else ""))
        self.new_nodes += nodes
        self.counts["MatMulInteger"] += 1

    def quantize_conv(self, node):
        attributes = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
        nodes, cast_output, scales_output, int_name = self.integer_op(node, "ConvInteger", attributes)
        has_bias = len(node.input) == 3
        output = node.output[0]
        scaled_output = output if not has_bias else output + "quant_scaled_output"
        nodes.append(helper.make_node("Mul", [cast_output, scales_output], [scaled_output], int_name + "_output_scale_mul" if int_name else ""))
        if has_bias:
            weight = self.initializers[node.input[1]]
            shape = np.ones((len(weight.dims)), dtype=np.int64)
            shape[1] = -1
            shape_name = output + "_bias_reshape_shape"
            self.add_initializer(helper.make_tensor(shape_name, TensorProto.INT64, [len(weight.dims)], shape))
            reshape_output = output + "_bias_reshape_output"
            nodes.append(helper.make_node("Reshape", [node.input[2], shape_name], [reshape_output]))
            nodes.append(helper.make_node("Add", [scaled_output, reshape_output], [output], output + "_bias_add"))
        self.new_nodes += nodes
        self.counts["ConvInteger"] += 1

    def quantize_gather(self, node):
        """operators/gather.GatherQuant: the table takes the activation type (uint8)."""
        q_names, zp_names, scale_names, nodes = self.quantize_inputs(node, [0], use_weight_qtype=False)
        new_output = node.output[0] + QUANT_SUFFIX
        self.quantized_value_map[node.output[0]] = QuantizedValue(new_output, scale_names[0], zp_names[0])
        gathered = onnx.NodeProto()
        gathered.CopyFrom(node)
        gathered.output[0] = new_output
        gathered.input[0] = q_names[0]
        nodes.append(gathered)
        self.new_nodes += nodes
        self.counts["Gather"] += 1

    def quantize_transpose(self, node):
        """operators/direct_q8.Direct8BitOp: only when its input is quantised already."""
        value = self.find_quantized_value(node.input[0])
        if value is None:
            self.new_nodes.append(node)
            return
        moved = onnx.NodeProto()
        moved.CopyFrom(node)
        self.quantized_value_map[node.output[0]] = QuantizedValue(node.output[0] + QUANT_SUFFIX, value.scale_name, value.zp_name)
        moved.input[0] = value.q_name
        moved.output[0] = node.output[0] + QUANT_SUFFIX
        self.new_nodes.append(moved)
        self.counts["Transpose"] += 1

    def with_quantized_subgraphs(self, node):
        """ONNXQuantizer.quantize_node_with_sub_graph (EnableSubgraph)."""
        graph_attrs = [a for a in node.attribute if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)]
        if not graph_attrs:
            return node
        kwargs = {}
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                kwargs[attr.name] = self.quantize_subgraph(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                kwargs[attr.name] = [self.quantize_subgraph(g) for g in attr.graphs]
            else:
                kwargs[attr.name] = helper.get_attribute_value(attr)
        return helper.make_node(node.op_type, node.input, node.output, name=node.name, **kwargs)

    def quantize_subgraph(self, subgraph):
        sub = GraphQuantizer(subgraph, self.weight_qtype, self.value_types, parent=self)
        sub.run()
        for key, value in sub.counts.items():
            self.counts[key] += value
        return sub.graph

    def run(self):
        for node in self.graph.node:
            node = self.with_quantized_subgraphs(node)
            before = len(self.new_nodes)
            if self.should_quantize(node):
                {"MatMul": self.quantize_matmul, "Conv": self.quantize_conv, "Gather": self.quantize_gather,
                 "Transpose": self.quantize_transpose}[node.op_type](node)
            else:
                self.keep_float(node)
            for new_node in self.new_nodes[before:]:
                self.generated_value_names.update(new_node.output)
        # _dequantize_outputs
        for output in self.graph.output:
            dq = self.dequantize_value(output.name)
            if dq is not None:
                self.new_nodes.append(dq)
        self.graph.ClearField("node")
        self.graph.node.extend(self.new_nodes)
        if self.new_initializers:
            self.graph.initializer.extend(self.new_initializers)


def referenced_names(graph):
    names = {o.name for o in graph.output}
    for node in graph.node:
        names.update(node.input)
        for attr in node.attribute:
            subgraphs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs) if attr.type == onnx.AttributeProto.GRAPHS else []
            for g in subgraphs:
                names |= referenced_names(g)
    return names


def clean_initializers(graph):
    """ONNXModel.clean_initializers: drop initializers no node uses (the replaced fp32 weights)."""
    used = referenced_names(graph)
    kept = [init for init in graph.initializer if init.name in used]
    removed = len(graph.initializer) - len(kept)
    graph.ClearField("initializer")
    graph.initializer.extend(kept)
    inputs = [i for i in graph.input if i.name in used or i.name not in {t.name for t in kept}]
    graph.ClearField("input")
    graph.input.extend(inputs)
    return removed


def subgraphs_of(node):
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def all_nodes(graph):
    """Every node of the graph and of its subgraphs (the merged decoder's `If` branches)."""
    for node in graph.node:
        yield node
        for sub in subgraphs_of(node):
            yield from all_nodes(sub)


def share_quantized_tables(graph):
    """Where this file deliberately differs from onnxruntime: a weight that a Gather reads quantised and a
    float node also reads (Whisper's tied output projection: `Gemm(transB=1)` on the token-embedding table
    the token `Gather` uses) is kept once, as the 8-bit table, and the float consumers read one
    DequantizeLinear of it (added at the start of the main graph, so both `If` branches see it).
    onnxruntime keeps the fp32 table beside the uint8 one (the subgraph case; in the main graph it emits a
    DequantizeLinear whose output reuses the initializer's name), which for the built-in Whisper would keep
    6.6 MB of fp32 next to 1.7 MB of uint8. The Gemm itself stays float, as in onnxruntime (IntegerOps has no
    Gemm); its weights are now the dequantised values the Gather also returns (each within half a step)."""
    inits = {init.name: init for init in graph.initializer}
    shared = []
    for name in list(inits):
        q_name, scale_name, zp_name = name + QUANT_SUFFIX, name + "_scale", name + "_zero_point"
        if not (q_name in inits and scale_name in inits and zp_name in inits):
            continue
        dq_output = name + "_dequantized"
        for node in all_nodes(graph):
            for i, value in enumerate(node.input):
                if value == name:
                    node.input[i] = dq_output
        graph.node.insert(0, helper.make_node("DequantizeLinear", [q_name, scale_name, zp_name], [dq_output], name + "_DequantizeLinear_shared"))
        graph.initializer.remove(inits[name])
        kept_inputs = [i for i in graph.input if i.name != name]
        graph.ClearField("input")
        graph.input.extend(kept_inputs)
        shared.append(name)
    return shared


def weight_type_for(model):
    """transformers.js quantize.py, mode q8."""
    return TensorProto.UINT8 if graph_ops(model.graph) & set(QUINT8_OPS) else TensorProto.INT8


def quantize_model(model, weight_qtype=None):
    """Returns (quantised model, summary). `model` is not modified. `weight_qtype`: as mode q8 picks it unless given."""
    ops = graph_ops(model.graph)
    unsupported = sorted(ops & set(UNSUPPORTED_OPS))
    if unsupported:
        raise NotImplementedError(f"ops not reproduced by this quantiser: {', '.join(unsupported)}")
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if len(opset) != 1 or opset[0] < 11:
        raise NotImplementedError("needs one ai.onnx opset >= 11 (DynamicQuantizeLinear)")
    weight_qtype = weight_type_for(model) if weight_qtype is None else weight_qtype
    # BaseQuantizer: save_and_reload_model_with_shape_infer
    inferred = onnx.shape_inference.infer_shapes(model)
    value_types = {}
    graphs = [inferred.graph] + [g for node in all_nodes(inferred.graph) for g in subgraphs_of(node)]
    for graph in graphs:  # a subgraph's quantiser reads its own graph's value_info (shape inference fills both)
        for vi in list(graph.value_info) + list(graph.output) + list(graph.input):
            if vi.type.HasField("tensor_type"):
                value_types[vi.name] = vi.type.tensor_type.elem_type
    quantizer = GraphQuantizer(inferred.graph, weight_qtype, value_types)
    quantizer.run()
    removed = clean_initializers(inferred.graph)
    shared = share_quantized_tables(inferred.graph)
    inferred.producer_name, inferred.producer_version = PRODUCER
    summary = dict(quantizer.counts)
    summary["weight type"] = "QUInt8 (asymmetric)" if weight_qtype == TensorProto.UINT8 else "QInt8 (symmetric)"
    summary["fp32 initializers removed"] = removed + len(shared)
    if shared:
        summary["tables stored once as uint8 (float consumers read a DequantizeLinear)"] = shared
    return inferred, summary


# --- checks ----------------------------------------------------------------------------------------
def io_signature(values):
    out = []
    for v in values:
        t = v.type.tensor_type
        dims = [d.dim_param or d.dim_value for d in t.shape.dim]
        out.append((v.name, t.elem_type, tuple(dims)))
    return out


def check_quantized(fp32, q8):
    """Structural checks of a quantised model against its fp32 source; raises on failure."""
    onnx.checker.check_model(q8, full_check=True)
    if io_signature(fp32.graph.input) != io_signature(q8.graph.input):
        raise AssertionError(f"graph inputs differ: {io_signature(fp32.graph.input)} vs {io_signature(q8.graph.input)}")
    if io_signature(fp32.graph.output) != io_signature(q8.graph.output):
        raise AssertionError(f"graph outputs differ: {io_signature(fp32.graph.output)} vs {io_signature(q8.graph.output)}")
    fp32_inits = {i.name: i for i in fp32.graph.initializer}
    fp32_nodes = list(all_nodes(fp32.graph))
    const_matmuls = sum(1 for n in fp32_nodes if n.op_type == "MatMul" and n.input[1] in fp32_inits)
    convs = sum(1 for n in fp32_nodes if n.op_type == "Conv")
    q8_ops = [n.op_type for n in all_nodes(q8.graph)]
    if q8_ops.count("MatMulInteger") != const_matmuls or q8_ops.count("ConvInteger") != convs:
        raise AssertionError("not every constant-B MatMul / Conv was replaced")
    if q8_ops.count("MatMul") != sum(1 for n in fp32_nodes if n.op_type == "MatMul") - const_matmuls:
        raise AssertionError("a computed-B MatMul was quantised")
    if q8_ops.count("Gemm") != sum(1 for n in fp32_nodes if n.op_type == "Gemm"):
        raise AssertionError("a Gemm was lost")
    q8_inits = {i.name: i for i in q8.graph.initializer}
    both = sorted(name for name in q8_inits if name + QUANT_SUFFIX in q8_inits)
    if both:
        raise AssertionError(f"stored both in float and quantised: {both}")
    worst = 0.0
    for name, init in fp32_inits.items():
        q_init = q8_inits.get(name + QUANT_SUFFIX)
        if q_init is None:
            continue
        w = numpy_helper.to_array(init).astype(np.float64)
        q = numpy_helper.to_array(q_init).astype(np.float64)
        scale = float(numpy_helper.to_array(q8_inits[name + "_scale"]))
        zp = float(numpy_helper.to_array(q8_inits[name + "_zero_point"]))
        error = np.abs((q - zp) * scale - w).max() / scale
        worst = max(worst, error)
        if error > 0.5 + 1e-3:
            raise AssertionError(f"{name}: dequantised weight off by {error:.3f} steps")
    return worst


def self_test():
    """onnxruntime's test_quant_util.test_compute_scale_zp values, then a small model end to end."""
    def scale_zp(rmin, rmax, qmin, qmax, dtype, symmetric):
        zp, scale = compute_scale_zp(np.array(rmin, dtype=np.float32), np.array(rmax, dtype=np.float32),
                                     np.array(qmin, dtype=dtype), np.array(qmax, dtype=dtype), symmetric)
        return [float(zp), float(scale)]

    tiny = np.float32(np.finfo(np.float32).tiny * 0.1)
    cases = [
        ((0.0, 0.0, -127, 127, np.int8, True), [0, 1.0]),
        ((1.0, -1.0, -127, 127, np.int8, True), [0, 1.0]),
        ((0.0, 0.0, 0, 255, np.uint8, True), [0, 1.0]),
        ((1.0, -1.0, 0, 255, np.uint8, True), [0, 1.0]),
        ((-1.0, 2.0, -127, 127, np.int8, True), [0, np.float32(2.0 / 127)]),
        ((-1.0, 2.0, -127, 127, np.int8, False), [-42, np.float32(3.0 / 254)]),
        ((-1.0, 2.0, 0, 255, np.uint8, True), [128, np.float32(4.0 / 255)]),
        ((-1.0, 2.0, 0, 255, np.uint8, False), [85, np.float32(3.0 / 255)]),
        ((-tiny, tiny, 0, 255, np.uint8, True), [0, 1.0]),
        ((-tiny, 0.0, 0, 255, np.uint8, False), [0, 1.0]),
    ]
    for args, expected in cases:
        np.testing.assert_allclose(scale_zp(*args), expected, rtol=1e-7)
    # quantize_nparray: half-way values round to even, out-of-range values clip.
    q = quantize_nparray(TensorProto.INT8, np.array([0.5, 1.5, 2.5, -300.0, 300.0], dtype=np.float32), np.array(1.0, np.float32), np.array(0, np.int8))
    assert q.tolist() == [0, 2, 2, -128, 127], q.tolist()

    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(16, 8)).astype(np.float32)
    emb = rng.normal(size=(10, 16)).astype(np.float32)
    conv_w = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    conv_b = rng.normal(size=(4,)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["emb", "ids"], ["e"], "gather"),
        helper.make_node("Relu", ["e"], ["r"], "relu"),
        helper.make_node("MatMul", ["r", "w1"], ["h"], "mm1"),
        helper.make_node("MatMul", ["r", "w1"], ["h2"], "mm2"),  # same activation and weight: one DynamicQuantizeLinear, one weight
        helper.make_node("Transpose", ["h"], ["ht"], "t_float", perm=[1, 0]),  # float input: unchanged
        helper.make_node("MatMul", ["h2", "ht"], ["s"], "scores"),  # computed B: stays fp32
        helper.make_node("MatMul", ["e", "w1"], ["g"], "mm3"),  # the gathered uint8 values feed MatMulInteger directly
        helper.make_node("Transpose", ["e"], ["et"], "t_8bit", perm=[1, 0]),  # input already 8-bit: Direct8BitOp
        helper.make_node("Conv", ["img", "conv_w", "conv_b"], ["c"], "conv", pads=[1, 1, 1, 1]),
    ]
    float_out = lambda name, dims: helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)  # noqa: E731
    inputs = [helper.make_tensor_value_info("ids", TensorProto.INT64, [5]), float_out("img", [1, 3, 6, 6])]
    outputs = [float_out("s", [5, 5]), float_out("g", [5, 8]), float_out("et", [16, 5]), float_out("c", [1, 4, 6, 6])]
    weights = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (emb, "emb"), (conv_w, "conv_w"), (conv_b, "conv_b"))]
    model = helper.make_model(helper.make_graph(nodes, "t", inputs, outputs, weights), opset_imports=[helper.make_opsetid("", 14)])
    q8, summary = quantize_model(model)
    check_quantized(model, q8)
    ops = [n.op_type for n in q8.graph.node]
    assert summary["weight type"].startswith("QUInt8"), summary  # a Conv makes q8 pick unsigned weights
    assert ops.count("MatMulInteger") == 3 and ops.count("ConvInteger") == 1 and ops.count("MatMul") == 1, ops
    assert ops.count("DynamicQuantizeLinear") == 2, ops  # r (shared by mm1 and mm2) and img; not e (already uint8)
    assert ops.count("DequantizeLinear") == 2, ops  # e for the Relu, et for the graph output
    transposes = [n for n in q8.graph.node if n.op_type == "Transpose"]
    assert [t.input[0] for t in transposes] == ["h", "e_quantized"], [t.input for t in transposes]
    inits = {i.name for i in q8.graph.initializer}
    assert "w1" not in inits and "emb" not in inits and {"w1_quantized", "emb_quantized", "conv_w_quantized"} <= inits, inits
    # With no Conv the weights are signed and symmetric (zero point 0); the Gather table stays uint8 (the
    # activation type), symmetric range 0..254, zero point 127.
    text_like = helper.make_model(helper.make_graph(nodes[:8], "t", inputs[:1], outputs[:3], weights[:2]), opset_imports=[helper.make_opsetid("", 14)])
    q8_text, summary_text = quantize_model(text_like)
    check_quantized(text_like, q8_text)
    zps = {i.name: numpy_helper.to_array(i) for i in q8_text.graph.initializer if i.name.endswith("_zero_point")}
    assert summary_text["weight type"].startswith("QInt8"), summary_text
    assert int(zps["w1_zero_point"]) == 0 and zps["w1_zero_point"].dtype == np.int8, zps
    assert int(zps["emb_zero_point"]) == 127 and zps["emb_zero_point"].dtype == np.uint8, zps
    print("self-test passed: onnxruntime's compute_scale_zp cases, rounding, and a small model (MatMul, Gather, Transpose, Conv)")


def make_matmul(out_dir, m, k, n):
    """A one-MatMul model with the shape of a transformer MLP layer, fp32 and q8."""
    rng = np.random.default_rng(42)
    weight = (rng.normal(size=(k, n)) / np.sqrt(k)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], "mlp")], "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 7
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    q8, summary = quantize_model(model, TensorProto.UINT8)
    check_quantized(model, q8)
    onnx.save(model, os.path.join(out_dir, "onnx", "matmul.onnx"))
    onnx.save(q8, os.path.join(out_dir, "onnx", "matmul_quantized.onnx"))
    print(f"MatMul [{m}, {k}] x [{k}, {n}] -> {out_dir}/onnx/matmul.onnx, matmul_quantized.onnx: {summary}")


WEIGHT_TYPES = {"auto": None, "uint8": TensorProto.UINT8, "int8": TensorProto.INT8}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", nargs="?", help="a Hub-layout model folder with onnx/<name>.onnx")
    parser.add_argument("--out-dir", help="where to write onnx/<name>_quantized.onnx (default: model_dir)")
    parser.add_argument("--files", nargs="+", help="model names under onnx/ (default: every onnx/<name>.onnx that is not a "
                        "_quantized / _fp16 / _q4 variant)")
    parser.add_argument("--weight-type", choices=("auto", "uint8", "int8"), default="auto",
                        help="auto: transformers.js's rule (uint8 with a Conv, else int8)")
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("--make-matmul", nargs=3, type=int, metavar=("M", "K", "N"))
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    if args.make_matmul:
        if not args.out_dir:
            parser.error("--make-matmul needs --out-dir")
        make_matmul(args.out_dir, *args.make_matmul)
        return
    if not args.model_dir:
        parser.error("model_dir is required (or --self-test)")
    out_dir = args.out_dir or args.model_dir
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    names = args.files or sorted(
        f[: -len(".onnx")] for f in os.listdir(os.path.join(args.model_dir, "onnx"))
        if f.endswith(".onnx") and not any(f[: -len(".onnx")].endswith(v) for v in (QUANT_SUFFIX, "_fp16", "_q4", "_q4f16", "_int8", "_uint8", "_bnb4"))
    )
    for name in names:
        source = os.path.join(args.model_dir, "onnx", f"{name}.onnx")
        target = os.path.join(out_dir, "onnx", f"{name}_quantized.onnx")
        started = time.time()
        fp32 = onnx.load(source)
        q8, summary = quantize_model(fp32, WEIGHT_TYPES[args.weight_type])
        worst = check_quantized(fp32, q8)
        onnx.save(q8, target)
        print(f"{source} -> {target}: {os.path.getsize(source) / 1e6:.2f} MB -> {os.path.getsize(target) / 1e6:.2f} MB, "
              f"{summary}, worst weight error {worst:.3f} steps, {time.time() - started:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
