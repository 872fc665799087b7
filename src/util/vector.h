/*
 * vector.h - type-safe growable arrays from one macro.
 *
 *   CP_DEFINE_VECTOR(cp_u64_vector, uint64_t)
 *
 * defines struct cp_u64_vector { uint64_t *data; size_t size, capacity; }
 * and static inline functions _init, _deinit, _reserve, _append (returns
 * false on allocation failure or size overflow), _append_entry (returns a
 * pointer to a new zeroed slot or NULL), _pop and _shrink_to_fit.
 * One definition instead of a hand-rolled realloc loop in every file.
 */
#ifndef CP_UTIL_VECTOR_H
#define CP_UTIL_VECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CP_DEFINE_VECTOR(vector, entry_type)                                  \
	typedef entry_type vector##_entry;                                    \
	struct vector {                                                       \
		entry_type *data;                                             \
		size_t size;                                                  \
		size_t capacity;                                              \
	};                                                                    \
	__attribute__((unused)) static inline void vector##_init(             \
		struct vector *v)                                             \
	{                                                                     \
		v->data = NULL;                                               \
		v->size = v->capacity = 0;                                    \
	}                                                                     \
	__attribute__((unused)) static inline void vector##_deinit(           \
		struct vector *v)                                             \
	{                                                                     \
		free(v->data);                                                \
		vector##_init(v);                                             \
	}                                                                     \
	__attribute__((unused)) static inline bool vector##_reserve(          \
		struct vector *v, size_t capacity)                            \
	{                                                                     \
		if (capacity <= v->capacity)                                  \
			return true;                                          \
		if (capacity > SIZE_MAX / sizeof(entry_type))                 \
			return false;                                         \
		entry_type *data =                                            \
			realloc(v->data, capacity * sizeof(entry_type));      \
		if (!data)                                                    \
			return false;                                         \
		v->data = data;                                               \
		v->capacity = capacity;                                       \
		return true;                                                  \
	}                                                                     \
	__attribute__((unused)) static inline entry_type *vector##_append_entry( \
		struct vector *v)                                             \
	{                                                                     \
		if (v->size == v->capacity) {                                 \
			size_t cap = v->capacity ? v->capacity : 8;           \
			if (v->capacity && cap > SIZE_MAX / 2)                \
				return NULL;                                  \
			if (v->capacity)                                      \
				cap *= 2;                                     \
			if (!vector##_reserve(v, cap))                        \
				return NULL;                                  \
		}                                                             \
		entry_type *e = &v->data[v->size++];                          \
		memset(e, 0, sizeof(*e));                                     \
		return e;                                                     \
	}                                                                     \
	__attribute__((unused)) static inline bool vector##_append(           \
		struct vector *v, const vector##_entry *entry)                    \
	{                                                                     \
		entry_type *e = vector##_append_entry(v);                     \
		if (!e)                                                       \
			return false;                                         \
		*e = *entry;                                                  \
		return true;                                                  \
	}                                                                     \
	__attribute__((unused)) static inline entry_type *vector##_pop(       \
		struct vector *v)                                             \
	{                                                                     \
		return v->size ? &v->data[--v->size] : NULL;                  \
	}                                                                     \
	__attribute__((unused)) static inline void vector##_shrink_to_fit(    \
		struct vector *v)                                             \
	{                                                                     \
		if (v->size == 0) {                                           \
			vector##_deinit(v);                                   \
			return;                                               \
		}                                                             \
		entry_type *data =                                            \
			realloc(v->data, v->size * sizeof(entry_type));       \
		if (data) {                                                   \
			v->data = data;                                       \
			v->capacity = v->size;                                \
		}                                                             \
	}

#endif /* CP_UTIL_VECTOR_H */
